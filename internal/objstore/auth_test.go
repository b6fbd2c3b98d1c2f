package objstore

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestServiceAccountToken: a service account key's token request carries a JWT that the
// key's public half verifies (RS256 over header.claims) with the account as issuer, the
// token endpoint as audience and the storage scope; the token is then reused until it
// nears its expiry.
func TestServiceAccountToken(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	requests := 0
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		if g := r.PostForm.Get("grant_type"); g != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			t.Errorf("grant_type %q", g)
		}
		parts := strings.Split(r.PostForm.Get("assertion"), ".")
		if len(parts) != 3 {
			t.Fatalf("assertion has %d parts, want 3", len(parts))
		}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			t.Errorf("the JWT's signature does not verify: %v", err)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims map[string]any
		if err := json.Unmarshal(raw, &claims); err != nil {
			t.Fatal(err)
		}
		if claims["iss"] != "robot@example.iam.gserviceaccount.com" || claims["aud"] != srv.URL+"/token" || claims["scope"] != Scope {
			t.Errorf("claims %v", claims)
		}
		fmt.Fprint(w, `{"access_token":"tok-1","expires_in":3600,"token_type":"Bearer"}`)
	}))
	defer srv.Close()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	creds, _ := json.Marshal(map[string]string{"type": "service_account", "client_email": "robot@example.iam.gserviceaccount.com",
		"private_key": keyPEM, "private_key_id": "k1", "token_uri": srv.URL + "/token"})
	ts, err := CredentialsFromJSON(creds)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		tok, err := ts.Token(context.Background())
		if err != nil || tok != "tok-1" {
			t.Fatalf("token %q, %v", tok, err)
		}
	}
	if requests != 1 {
		t.Fatalf("%d token requests for three tokens within the hour, want 1", requests)
	}
}

// TestAuthorizedUserAndErrors: an authorized user's file refreshes its token with its
// refresh token; an unknown credentials type and a refused refresh are errors that say so.
func TestAuthorizedUserAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("refresh_token") != "refresh-me" || r.PostForm.Get("grant_type") != "refresh_token" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Bad Request"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"user-tok","expires_in":3599}`)
	}))
	defer srv.Close()
	user := func(refresh string) TokenSource {
		creds, _ := json.Marshal(map[string]string{"type": "authorized_user", "client_id": "c", "client_secret": "s",
			"refresh_token": refresh, "token_uri": srv.URL})
		ts, err := CredentialsFromJSON(creds)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	if tok, err := user("refresh-me").Token(context.Background()); err != nil || tok != "user-tok" {
		t.Fatalf("token %q, %v", tok, err)
	}
	if _, err := user("stale").Token(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("a refused refresh: %v, want invalid_grant", err)
	}
	if _, err := CredentialsFromJSON([]byte(`{"type":"external_account"}`)); err == nil || !strings.Contains(err.Error(), "external_account") {
		t.Fatalf("an unsupported type: %v", err)
	}
}

func TestSplit(t *testing.T) {
	for _, c := range []struct{ in, bucket, name string }{
		{"gs://b/a/c.csv", "b", "a/c.csv"}, {"gs://b", "b", ""}, {"gs://b/", "b", ""},
	} {
		b, n, err := Split(c.in)
		if err != nil || b != c.bucket || n != c.name {
			t.Errorf("Split(%q) = %q, %q, %v", c.in, b, n, err)
		}
	}
	for _, bad := range []string{"gs://", "s3://b/x", "/tmp/x"} {
		if _, _, err := Split(bad); err == nil {
			t.Errorf("Split(%q) gave no error", bad)
		}
	}
}
