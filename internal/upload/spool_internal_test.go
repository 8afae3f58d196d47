package upload

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A full disk is the console's problem, told as such (507), not the file's.
func TestSpoolOnAFullDisk(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full here:", err)
	}
	sp := &Spool{f: full}
	defer sp.Close()
	err = sp.Fill(strings.NewReader("id,name\nu1,Ann\n"))
	var ue *Error
	require.True(t, errors.As(err, &ue), "%v", err)
	assert.Equal(t, http.StatusInsufficientStorage, ue.Status)
	assert.Contains(t, ue.Message, "no room left")
}
