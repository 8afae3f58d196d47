package upload_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"testing"

	"sourcedesk/internal/csvcheck"
	"sourcedesk/internal/upload"
)

// BenchmarkSpoolCheckedUpload reads a 64 MiB CSV upload from its multipart body
// through the pre-flight check into a spool, as an import does before it sends.
func BenchmarkSpoolCheckedUpload(b *testing.B) {
	var csv bytes.Buffer
	csv.WriteString("id,displayName,email,level\n")
	for i := 0; csv.Len() < 64<<20; i++ {
		fmt.Fprintf(&csv, "u%09d,User %d,u%d@example.com,%d\n", i, i, i, i%5)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, _ := mw.CreateFormFile("file", "big.csv")
	_, _ = w.Write(csv.Bytes())
	_ = mw.Close()
	sc := csvcheck.Schema{IdentityAttribute: "id", Attributes: []csvcheck.Attribute{{Name: "id"}, {Name: "displayName"}, {Name: "email"}, {Name: "level", Type: "INT"}}}
	b.SetBytes(int64(csv.Len()))
	for b.Loop() {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body.Bytes()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		s, err := upload.Open(httptest.NewRecorder(), req, 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		f, err := s.NextFile()
		if err != nil {
			b.Fatal(err)
		}
		cr := upload.Check(context.Background(), f.Reader(), upload.Against(sc, csvcheck.Options{}), false)
		sp, err := upload.NewSpool(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		if err := sp.Fill(cr); err != nil {
			b.Fatal(err)
		}
		cr.Finish(nil)
		if cr.Blocked() {
			b.Fatal("blocked")
		}
		_, _ = io.Copy(io.Discard, sp.Reader())
		sp.Close()
	}
}
