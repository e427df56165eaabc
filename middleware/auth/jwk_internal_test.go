package auth

import (
	"encoding/json"
	"strings"
	"testing"
)

// A malformed key is skipped with its index and kid named; a document that
// is not a set, or has no usable key, is an error.
func TestDecodeJWKSBadInput(t *testing.T) {
	good := `{"kty":"OKP","crv":"Ed25519","kid":"ok","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	for _, c := range []struct{ doc, err, skipped string }{
		{`not json`, "not a JWK Set", ""},
		{`{"keys":null}`, `no "keys" array`, ""},
		{`{"keys":[]}`, "no usable signing key among 0", ""},
		{`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, "no usable signing key among 1", ""},
		{`{"keys":[` + good + `,{"kid":"k","kty":"RSA","n":"AQAB","e":"AQAB"}]}`, "", `keys[1] (kid "k"): n: an RSA modulus of 17 bits`},
		{`{"keys":[` + good + `,{"kid":"k","kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}`, "", `keys[1] (kid "k"): x, y: 3 and 3 bytes`},
		{`{"keys":[` + good + `,{"kid":"k","kty":"EC","crv":"P-256","x":"` + strings.Repeat("A", 43) + `","y":"` + strings.Repeat("A", 43) + `"}]}`, "", `keys[1] (kid "k"): x, y:`},
		{`{"keys":[` + good + `,{"kid":"k","kty":"OKP","crv":"X25519","x":"AAAA"}]}`, "", `crv: "X25519" is not Ed25519`},
		{`{"keys":[` + good + `,{"kid":"k","kty":"OKP","crv":"Ed25519","x":"AA","d":"AA"}]}`, "", "carries a private key"},
		{`{"keys":[` + good + `,` + good + `]}`, "", `keys[1] (kid "ok"): a second key with that kid`},
		{`{"keys":[` + strings.TrimSuffix(good, "}") + `,"alg":"RS256"}]}`, "no usable signing key", `alg "RS256" does not verify with an Ed25519 public key`},
		{`{"keys":[` + good + `,{"kid":"k","kty":"XYZ"}]}`, "", `kty: "XYZ" is not RSA, EC or OKP`},
		{`{"keys":[` + good + `,{"kid":"k","kty":"RSA","n":"!!","e":"AQAB"}]}`, "", "n: not base64url"},
		{`{"keys":[` + good + `,7]}`, "", "keys[1]: json: cannot unmarshal"},
	} {
		m, skipped, err := decodeJWKS([]byte(c.doc))
		if c.err == "" && (err != nil || m["ok"].key == nil) || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: err %v; want %q", c.doc, err, c.err)
		}
		if c.skipped != "" && (skipped == nil || !strings.Contains(skipped.Error(), c.skipped)) {
			t.Errorf("%s: skipped %v; want %q", c.doc, skipped, c.skipped)
		}
	}
	many := `{"keys":[` + strings.Repeat(good+",", maxJWKSKeys) + good + `]}`
	if _, _, err := decodeJWKS([]byte(many)); err == nil || !strings.Contains(err.Error(), "at most 100") {
		t.Errorf("101 keys: %v", err)
	}
}

// FuzzDecodeJWKS feeds the JWK Set decoder what an endpoint could serve:
// it never panics, every key it keeps verifies with its alg, and writing
// the kept keys back and decoding them again gives the same keys.
func FuzzDecodeJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"e","alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"r","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AA"},{"kty":"RSA","n":"AQAB","e":"AQAB","use":"enc"}]}`))
	f.Add([]byte(`{"keys":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := decodeJWKS(data)
		if err != nil {
			return
		}
		var pubs []jwkJSON
		for kid, j := range m {
			if j.alg != "" && !verifies(j.alg, j.key) {
				t.Fatalf("kid %q: alg %s kept with %s", kid, j.alg, describe(j.key))
			}
			enc, err := encodeJWK(kid, j.alg, j.key)
			if err != nil {
				t.Fatalf("kid %q kept but not writable: %v", kid, err)
			}
			pubs = append(pubs, enc)
		}
		doc, _ := json.Marshal(map[string]any{"keys": pubs})
		again, _, err := decodeJWKS(doc)
		if err != nil || len(again) != len(m) {
			t.Fatalf("rewritten set %s: %v", doc, err)
		}
		for kid, j := range m {
			if k, ok := again[kid]; !ok || k.alg != j.alg || describe(k.key) != describe(j.key) {
				t.Fatalf("kid %q changed: %+v → %+v", kid, j, k)
			}
		}
	})
}
