package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"sourcedesk/internal/testservers"
)

// No Docker engine runs here or in CI, so the image is never built. What can be
// checked without one: the Dockerfile builds the binary the way `make build`
// does (the commands make would run, read with `make -n`), with the Go version
// go.mod asks for, the same npm assets, CGO off and the same linker flags. An
// image built from it then holds the binary the tests ran.
func TestDockerfileBuildsLikeTheMakefile(t *testing.T) {
	root := filepath.Join("..", "..")
	dockerfile := dockerRuns(t, filepath.Join(root, "Dockerfile"))
	if _, err := exec.LookPath("make"); err != nil {
		testservers.Unavailable(t, "make is not installed (apt-get install make)")
	}
	out, err := exec.Command("make", "-C", root, "--no-print-directory", "-n", "-B", "build", "VERSION=v9.9.9-test").CombinedOutput()
	require.NoError(t, err, "make -n build: %s", out)
	makefile := strings.Split(strings.TrimSpace(string(out)), "\n")

	t.Run("Go version", func(t *testing.T) {
		mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
		require.NoError(t, err)
		goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)(\.\d+)?$`).FindSubmatch(mod)
		require.NotNil(t, goLine, "go.mod has a go directive")
		from := regexp.MustCompile(`(?m)^FROM golang:(\d+\.\d+)(\.\d+)?\S* AS build$`).FindStringSubmatch(dockerfile.text)
		require.NotNil(t, from, "the build stage is FROM golang:<version>")
		assert.Equal(t, string(goLine[1]), from[1], "the image's Go is go.mod's")
		if tc := regexp.MustCompile(`(?m)^toolchain go(\d+\.\d+)`).FindSubmatch(mod); tc != nil {
			assert.Equal(t, string(tc[1]), from[1], "the image's Go is go.mod's toolchain")
		}
	})

	t.Run("assets", func(t *testing.T) {
		npm := func(cmds []string) []string {
			var found []string
			for _, c := range cmds {
				found = append(found, regexp.MustCompile(`npm ci[^;&|}]*`).FindAllString(c, -1)...)
			}
			return found
		}
		// The files copied out of node_modules into vendor/, relative to web/static.
		vendored := func(cmds []string, prefix string) []string {
			var files []string
			for _, c := range cmds {
				if strings.HasPrefix(c, "cp ") || strings.Contains(c, "&& cp ") {
					for _, f := range regexp.MustCompile(`\S*node_modules/\S+`).FindAllString(c, -1) {
						files = append(files, strings.TrimPrefix(f, prefix))
					}
				}
			}
			slices.Sort(files)
			return files
		}
		mk := npm(makefile)
		require.NotEmpty(t, mk, "make assets runs npm ci")
		assert.Equal(t, slices.Compact(mk), npm(dockerfile.runs), "the same npm ci, pinned by package-lock.json")
		assert.Contains(t, dockerfile.text, "package-lock.json", "the image installs from the lock file")
		want := slices.Compact(vendored(makefile, "web/static/"))
		require.NotEmpty(t, want)
		assert.Equal(t, want, vendored(dockerfile.runs, ""), "the same files vendored")
	})

	t.Run("go build", func(t *testing.T) {
		mk := goBuild(t, makefile, "v9.9.9-test")
		dk := goBuild(t, dockerfile.runs, "${VERSION}")
		assert.Equal(t, "0", mk.env["CGO_ENABLED"], "make build: CGO off (a static binary)")
		assert.Equal(t, mk.env, dk.env, "the same environment")
		assert.Equal(t, mk.flags, dk.flags, "the same flags, -ldflags included")
		assert.Equal(t, mk.pkg, dk.pkg, "the same package")
		assert.Contains(t, dockerfile.text, "ARG VERSION", "the version is a build argument, as VERSION is make's")
	})
}

type dockerFile struct {
	text string
	runs []string // the RUN commands, continuation lines joined
}

func dockerRuns(t *testing.T, path string) dockerFile {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(b)
	var runs []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\\\n", " "), "\n") {
		if after, ok := strings.CutPrefix(l, "RUN "); ok {
			runs = append(runs, strings.TrimSpace(after))
		}
	}
	return dockerFile{text: text, runs: runs}
}

// goBuildCmd is one `go build` command: its environment assignments, its flags
// with their values (the output file left out: each puts it elsewhere) and the
// package, with the version stamped in the ldflags replaced by "VERSION".
type goBuildCmd struct {
	env   map[string]string
	flags []string
	pkg   string
}

func goBuild(t *testing.T, cmds []string, version string) goBuildCmd {
	t.Helper()
	for _, c := range cmds {
		c, _, _ = strings.Cut(c, "&&") // the Dockerfile goes on with && mkdir
		if !strings.Contains(c, "go build") {
			continue
		}
		words := shellWords(strings.ReplaceAll(c, version, "VERSION"))
		cmd := goBuildCmd{env: map[string]string{}}
		i := 0
		for ; i < len(words) && strings.Contains(words[i], "="); i++ {
			k, v, _ := strings.Cut(words[i], "=")
			cmd.env[k] = v
		}
		require.Equal(t, []string{"go", "build"}, words[i:i+2], c)
		args := words[i+2:]
		for j := 0; j < len(args); j++ {
			switch {
			case args[j] == "-o":
				j++
			case args[j] == "-ldflags" || args[j] == "-tags" || args[j] == "-gcflags":
				cmd.flags = append(cmd.flags, args[j]+"="+args[j+1])
				j++
			case strings.HasPrefix(args[j], "-"):
				cmd.flags = append(cmd.flags, args[j])
			default:
				cmd.pkg = args[j]
			}
		}
		return cmd
	}
	t.Fatalf("no go build among %q", cmds)
	return goBuildCmd{}
}

// shellWords splits a command line into words as a shell would for these simple
// commands: whitespace separates, single and double quotes group.
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
