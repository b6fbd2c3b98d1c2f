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
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// TokenSource gives OAuth2 access tokens for requests.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Scope is the OAuth2 scope kindling asks for: reading and writing objects.
const Scope = "https://www.googleapis.com/auth/devstorage.read_write"

// DefaultTokenSource finds Application Default Credentials as Google's client libraries
// do: the JSON file named by GOOGLE_APPLICATION_CREDENTIALS, else gcloud's
// application_default_credentials.json, else the metadata server of the machine (a
// Compute Engine VM, a Dataflow or GKE worker). A service account key signs a JWT for its
// token; an authorized user's file (gcloud auth application-default login) refreshes its
// token.
func DefaultTokenSource() (TokenSource, error) {
	path := os.Getenv("GOOGLE_APPLICATION_CREDENTIALS")
	if path == "" {
		if dir, err := os.UserConfigDir(); err == nil {
			well := filepath.Join(dir, "gcloud", "application_default_credentials.json")
			if _, err := os.Stat(well); err == nil {
				path = well
			}
		}
	}
	if path == "" {
		host := os.Getenv("GCE_METADATA_HOST")
		if host == "" {
			host = "metadata.google.internal"
		}
		return &cachedToken{fetch: metadataToken("http://" + host)}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("objstore: credentials: %w", err)
	}
	return CredentialsFromJSON(data)
}

// credentialsFile is the JSON of a service account key or an authorized user.
type credentialsFile struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
	TokenURI     string `json:"token_uri"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// CredentialsFromJSON returns the token source of a credentials file's contents: a
// service account key ("type": "service_account") or an authorized user
// ("authorized_user").
func CredentialsFromJSON(data []byte) (TokenSource, error) {
	var f credentialsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("objstore: credentials: %w", err)
	}
	tokenURI := f.TokenURI
	if tokenURI == "" {
		tokenURI = "https://oauth2.googleapis.com/token"
	}
	switch f.Type {
	case "service_account":
		key, err := parseRSAKey(f.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("objstore: credentials of %s: %w", f.ClientEmail, err)
		}
		return &cachedToken{fetch: serviceAccountToken(f.ClientEmail, f.PrivateKeyID, key, tokenURI)}, nil
	case "authorized_user":
		form := url.Values{"grant_type": {"refresh_token"}, "client_id": {f.ClientID},
			"client_secret": {f.ClientSecret}, "refresh_token": {f.RefreshToken}}
		return &cachedToken{fetch: func(ctx context.Context) (tokenAnswer, error) { return postToken(ctx, tokenURI, form) }}, nil
	default:
		return nil, fmt.Errorf("objstore: credentials of type %q are not supported (service_account, authorized_user)", f.Type)
	}
}

func parseRSAKey(pemKey string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemKey))
	if block == nil {
		return nil, errors.New("private_key is not PEM")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("private_key is not an RSA key")
		}
		return rk, nil
	}
	return x509.ParsePKCS1PrivateKey(block.Bytes)
}

// tokenAnswer is an OAuth2 token endpoint's (or the metadata server's) answer.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// cachedToken keeps a token until a minute before it expires.
type cachedToken struct {
	fetch   func(ctx context.Context) (tokenAnswer, error)
	mu      sync.Mutex
	token   string
	expires time.Time
}

func (c *cachedToken) Token(ctx context.Context) (string, error) {
	// Held across the fetch on purpose: tasks asking at once wait for one request
	// instead of each fetching a token.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.expires) {
		return c.token, nil
	}
	a, err := c.fetch(ctx)
	if err != nil {
		return "", err
	}
	if a.AccessToken == "" {
		return "", errors.New("the token endpoint answered no access_token")
	}
	c.token = a.AccessToken
	c.expires = time.Now().Add(time.Duration(a.ExpiresIn)*time.Second - time.Minute)
	return c.token, nil
}

// serviceAccountToken exchanges a JWT signed with the account's key for a token
// (RFC 7523, Google's "OAuth 2.0 for server to server applications").
func serviceAccountToken(email, keyID string, key *rsa.PrivateKey, tokenURI string) func(context.Context) (tokenAnswer, error) {
	return func(ctx context.Context) (tokenAnswer, error) {
		now := time.Now()
		header := map[string]string{"alg": "RS256", "typ": "JWT"}
		if keyID != "" {
			header["kid"] = keyID
		}
		claims := map[string]any{"iss": email, "scope": Scope, "aud": tokenURI,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		h, _ := json.Marshal(header)
		c, _ := json.Marshal(claims)
		enc := base64.RawURLEncoding
		signing := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
		sum := sha256.Sum256([]byte(signing))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			return tokenAnswer{}, fmt.Errorf("signing the token request of %s: %w", email, err)
		}
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion": {signing + "." + enc.EncodeToString(sig)}}
		return postToken(ctx, tokenURI, form)
	}
}

func postToken(ctx context.Context, tokenURI string, form url.Values) (tokenAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURI, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return tokenRequest(req)
}

// metadataToken asks the metadata server for the default service account's token.
func metadataToken(base string) func(context.Context) (tokenAnswer, error) {
	return func(ctx context.Context) (tokenAnswer, error) {
		u := base + "/computeMetadata/v1/instance/service-accounts/default/token?scopes=" + url.QueryEscape(Scope)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return tokenAnswer{}, err
		}
		req.Header.Set("Metadata-Flavor", "Google")
		a, err := tokenRequest(req)
		if err != nil {
			return tokenAnswer{}, fmt.Errorf("no credentials file (GOOGLE_APPLICATION_CREDENTIALS) and no metadata server: %w", err)
		}
		return a, nil
	}
}

var tokenHTTP = &http.Client{Timeout: 30 * time.Second}

func tokenRequest(req *http.Request) (tokenAnswer, error) {
	resp, err := tokenHTTP.Do(req)
	if err != nil {
		return tokenAnswer{}, err
	}
	defer resp.Body.Close()
	var a tokenAnswer
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return a, fmt.Errorf("%s: HTTP %d %s %s", req.URL.Host, resp.StatusCode, e.Error, e.Description)
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return a, fmt.Errorf("%s: decoding the token: %w", req.URL.Host, err)
	}
	return a, nil
}
