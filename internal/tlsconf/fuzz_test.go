package tlsconf

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/goxkit/gox/internal/tlsconf/tlstest"
)

// FuzzFiles feeds arbitrary bytes as the certificate, key and CA files: the
// server is built or refused with an error naming a file, never a panic.
func FuzzFiles(f *testing.F) {
	ca := tlstest.NewCA(f, "ca")
	leaf := ca.Issue(f, 2, "server")
	f.Add(leaf.CertPEM, leaf.KeyPEM, ca.PEM)
	f.Add(leaf.CertPEM, leaf.CertPEM, leaf.KeyPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), leaf.KeyPEM, []byte{})
	dir := f.TempDir() // one per worker process; its inputs run one at a time
	f.Fuzz(func(t *testing.T, cert, key, clientCA []byte) {
		files := ServerFiles{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key"), ClientCAFile: filepath.Join(dir, "ca.crt")}
		tlstest.Replace(t, files.CertFile, cert)
		tlstest.Replace(t, files.KeyFile, key)
		tlstest.Replace(t, files.ClientCAFile, clientCA)
		s, err := NewServer("fuzz", files, Options{})
		if err != nil {
			if !strings.Contains(err.Error(), dir) {
				t.Fatalf("error names no file: %v", err)
			}
			return
		}
		if c := s.Current(); len(c.Certificates) != 1 || c.ClientCAs == nil {
			t.Fatalf("built without its certificate or client CAs: %+v", c)
		}
	})
}
