// Package s3 is gox's storage.Store on any S3-compatible server: AWS S3,
// SeaweedFS, Ceph RGW, Garage, Cloudflare R2, MinIO servers run by others.
// It is a contrib module (github.com/goxkit/gox/contrib/storage/s3) so that
// only services storing in S3 pull in its client, minio-go v7 (Apache-2.0).
//
//	st, err := s3.Open(ctx, s3.Config{
//		Endpoint: "http://127.0.0.1:8333", Region: "us-east-1", Bucket: "uploads",
//		AccessKey: key, SecretKey: secret, PartSize: s3.DefaultPartSize,
//	})
//	info, err := st.Put(ctx, "avatars/42.png", body, storage.PutOptions{ContentType: "image/png"})
//	u, err := st.SignedURL(ctx, "avatars/42.png", http.MethodGet, 15*time.Minute)
//
// What it does beyond minio-go:
//
//   - Bounded memory. A Put reads its body into one buffer of
//     Config.PartSize (16 MiB by default): a body that ends before the buffer
//     is full is stored with a single PUT; a longer one (or one of unknown
//     size, from a non-seekable reader) is sent as a multipart upload, one
//     part at a time from the same buffer (or Config.Concurrency parts at
//     once, from as many buffers). So a Put holds about PartSize (times
//     Concurrency) of memory whatever the object's size (minio-go's own PutObject with size
//     -1 would pick ~576 MiB parts). Small bodies use a 32 KiB buffer.
//   - Nothing left behind. A multipart upload that fails (the body's
//     reader fails, PutOptions.MaxSize is exceeded, the context is
//     cancelled, the server goes away) is aborted, with a context that
//     outlives the caller's, so its parts do not linger (and cost) on the
//     server. When even the abort cannot reach the server, the error says
//     so and names the upload; AbortIncomplete removes such uploads later,
//     and a bucket lifecycle rule (AbortIncompleteMultipartUpload) is the
//     backstop.
//   - gox's storage contract: keys validated by storage.ValidateKey before
//     any request, metadata by storage.ValidateMetadata and stored lower
//     case, List pages resuming after a key (S3's StartAfter), and errors
//     mapped to storage's typed errors: NoSuchKey is storage.ErrNotExist,
//     InvalidRange storage.ErrInvalidRange, and refused credentials
//     ErrAccessDenied, a 500 whose message names the endpoint, the access
//     key and S3's error code (the secret is never printed).
//   - Signed URLs (storage.Signer): presigned GET and PUT, valid up to 7
//     days, usable by any HTTP client with no credentials.
//   - Server-side encryption (Config.SSE): SSE-S3, SSE-KMS with a key id,
//     or SSE-C with a customer key sent on every request.
//
// Self-hosted servers are reached path-style (http://host/bucket/key) unless
// Config.Addressing says otherwise, so no wildcard DNS is needed. The
// package is tested against SeaweedFS (weed server -s3) with credentials
// checked; see the README.
package s3

import (
	"bytes"
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/goxkit/gox/errors"
	"github.com/goxkit/gox/storage"
)

// MaxSignedURLTTL is the longest a signed URL may be valid: SigV4's limit.
const MaxSignedURLTTL = 7 * 24 * time.Hour

// smallBuf is what a Put reads first: a body that fits is stored with one
// PUT without taking a part buffer.
const smallBuf = 32 << 10

// abortTimeout bounds the abort of a failed multipart upload when
// Config.Timeout is 0.
const abortTimeout = time.Minute

var (
	_ storage.Store  = (*Store)(nil)
	_ storage.Signer = (*Store)(nil)
)

// Store is a storage.Store (and storage.Signer) on one bucket of an
// S3-compatible server. It is safe for concurrent use. Close releases its
// idle connections.
type Store struct {
	client      *minio.Client
	core        minio.Core
	transport   *http.Transport
	bucket      string
	endpoint    string // for messages
	accessKey   string // for messages
	partSize    int64
	concurrency int
	timeout     time.Duration
	putSSE      encrypt.ServerSide // sent with PUT and multipart initiation
	readSSE     encrypt.ServerSide // sent with GET/HEAD and parts: SSE-C only
	parts       sync.Pool          // *[]byte of partSize
	now         func() time.Time
}

// New returns a Store for cfg without contacting the server (see Open). It
// fails when cfg does not validate.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, secure, _ := cfg.endpoint()
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("storage/s3: transport: %w", err)
	}
	tr.ResponseHeaderTimeout = cfg.Timeout
	lookup := minio.BucketLookupAuto
	switch cfg.Addressing {
	case AddressingPath:
		lookup = minio.BucketLookupPath
	case AddressingVirtual:
		lookup = minio.BucketLookupDNS
	}
	var creds *credentials.Credentials
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	} else {
		creds = credentials.New(&credentials.EnvAWS{}) // AWS_ACCESS_KEY_ID etc., or anonymous
	}
	client, err := minio.New(host, &minio.Options{
		Creds: creds, Secure: secure, Transport: tr, Region: cfg.Region,
		BucketLookup: lookup, MaxRetries: cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("storage/s3: s3.endpoint %q: %w", cfg.Endpoint, err)
	}
	s := &Store{
		client: client, core: minio.Core{Client: client}, transport: tr,
		bucket: cfg.Bucket, endpoint: client.EndpointURL().String(), accessKey: cfg.AccessKey,
		partSize: cfg.PartSize, timeout: cfg.Timeout, now: time.Now,
	}
	if s.partSize == 0 {
		s.partSize = DefaultPartSize
	}
	s.concurrency = max(cfg.Concurrency, 1)
	switch cfg.SSE.Mode {
	case SSES3:
		s.putSSE = encrypt.NewSSE()
	case SSEKMS:
		if s.putSSE, err = encrypt.NewSSEKMS(cfg.SSE.KMSKeyID, nil); err != nil {
			return nil, fmt.Errorf("storage/s3: s3.sse.kms_key_id: %w", err)
		}
	case SSEC:
		key, _ := cfg.SSE.customerKey()
		if s.putSSE, err = encrypt.NewSSEC(key); err != nil {
			return nil, fmt.Errorf("storage/s3: s3.sse.customer_key: %w", err)
		}
		s.readSSE = s.putSSE
	}
	s.parts.New = func() any { b := make([]byte, s.partSize); return &b }
	return s, nil
}

// Open is New followed by a check that the bucket exists (creating it when
// cfg.CreateBucket is set), so that a wrong endpoint, wrong credentials or
// a missing bucket fail at start-up with an error that names them.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.ensureBucket(ctx, cfg.Region, cfg.CreateBucket); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) ensureBucket(ctx context.Context, region string, create bool) error {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		if minio.ToErrorResponse(err).StatusCode == http.StatusForbidden {
			// HEAD has no body to say why: a GET does (SignatureDoesNotMatch, InvalidAccessKeyId...)
			lctx, stop := context.WithCancel(ctx)
			ch := s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{MaxKeys: 1})
			if o, ok := <-ch; ok && o.Err != nil {
				err = o.Err
			}
			stop()
			for range ch {
			}
		}
		return s.mapErr(ctx, "open bucket "+strconv.Quote(s.bucket), "", err)
	}
	if ok {
		return nil
	}
	if !create {
		return ErrNoBucket.WithMessage("storage/s3: bucket %q does not exist on %s (set s3.create_bucket to create it)", s.bucket, s.endpoint)
	}
	if err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region}); err != nil {
		if c := minio.ToErrorResponse(err).Code; c == "BucketAlreadyOwnedByYou" || c == "BucketAlreadyExists" {
			return nil // created concurrently
		}
		return s.mapErr(ctx, "create bucket", "", err)
	}
	return nil
}

// Client returns the minio-go client, for what the storage contract does
// not cover (bucket policies, lifecycle rules, versioning).
func (s *Store) Client() *minio.Client { return s.client }

// Bucket returns the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// Close closes idle connections. The Store must not be used afterwards.
func (s *Store) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// opContext bounds a request without a body by Config.Timeout.
func (s *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout > 0 {
		return context.WithTimeout(ctx, s.timeout)
	}
	return context.WithCancel(ctx)
}

// Put stores r under key (see storage.Store.Put and the package doc on
// memory). A failed multipart upload is aborted.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts storage.PutOptions) (storage.Info, error) {
	md, err := storage.ValidatePut(key, opts)
	if err != nil {
		return storage.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, s.mapErr(ctx, "put", key, err)
	}
	ct := opts.ContentType
	if ct == "" {
		ct = storage.DefaultContentType
	}
	po := minio.PutObjectOptions{ContentType: ct, UserMetadata: md, ServerSideEncryption: s.putSSE}
	body := &limitReader{r: storage.NewContextReader(ctx, r), max: opts.MaxSize, key: key}

	// A body shorter than smallBuf (or than the Size hint) needs no part buffer.
	first := smallBuf
	if opts.Size > 0 && opts.Size < s.partSize {
		first = int(opts.Size) + 1 // +1: see the end without another read
	}
	small := make([]byte, min(int64(first), s.partSize))
	n, err := io.ReadFull(body, small)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return s.putSingle(ctx, key, small[:n], po)
	case err != nil:
		return storage.Info{}, s.bodyErr(ctx, key, err)
	}
	bp := s.parts.Get().(*[]byte)
	defer s.parts.Put(bp)
	buf := *bp
	copy(buf, small[:n])
	small = nil
	m, err := io.ReadFull(body, buf[n:])
	n += m
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return s.putSingle(ctx, key, buf[:n], po)
	case err != nil:
		return storage.Info{}, s.bodyErr(ctx, key, err)
	}
	return s.putMultipart(ctx, key, body, buf, po)
}

func (s *Store) putSingle(ctx context.Context, key string, b []byte, po minio.PutObjectOptions) (storage.Info, error) {
	ui, err := s.core.PutObject(ctx, s.bucket, key, bytes.NewReader(b), int64(len(b)), "", "", po)
	if err != nil {
		return storage.Info{}, s.mapErr(ctx, "put", key, err)
	}
	return s.putInfo(key, int64(len(b)), ui, po), nil
}

// putMultipart uploads buf (full) and the rest of body as parts of one
// multipart upload, reusing buf for each part.
func (s *Store) putMultipart(ctx context.Context, key string, body io.Reader, buf []byte, po minio.PutObjectOptions) (info storage.Info, err error) {
	octx, cancel := s.opContext(ctx)
	id, err := s.core.NewMultipartUpload(octx, s.bucket, key, po)
	cancel()
	if err != nil {
		return storage.Info{}, s.mapErr(ctx, "put (start multipart upload)", key, err)
	}
	defer func() {
		if err != nil {
			err = s.abort(ctx, key, id, err)
		}
	}()
	parts, total, err := s.uploadParts(ctx, key, id, body, buf)
	if err != nil {
		return storage.Info{}, err
	}
	ui, err := s.core.CompleteMultipartUpload(ctx, s.bucket, key, id, parts, po)
	if err != nil {
		return storage.Info{}, s.mapErr(ctx, "put (complete multipart upload)", key, err)
	}
	return s.putInfo(key, total, ui, po), nil
}

// uploadParts sends buf (full) and the rest of body as the parts of upload
// id, at most s.concurrency at a time, each from a buffer of its own: buf,
// then buffers of the pool, so at most s.concurrency part buffers exist. It
// returns the parts in order and the bytes sent, or the first error (which
// stops the reading and the other parts).
func (s *Store) uploadParts(ctx context.Context, key, id string, body io.Reader, buf []byte) ([]minio.CompletePart, int64, error) {
	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		parts    []minio.CompletePart
		firstErr error
		wg       sync.WaitGroup
		total    int64
		free     = make(chan []byte, s.concurrency)
		borrowed []*[]byte // from the pool, returned at the end
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	defer func() {
		for _, bp := range borrowed {
			s.parts.Put(bp)
		}
	}()
	b, n := buf, len(buf)
	for part := 1; ; part++ {
		if part > maxParts {
			fail(storage.ErrTooLarge.WithMessage("storage/s3: put %q: longer than %d parts of %d bytes; raise s3.part_size", key, maxParts, s.partSize))
			break
		}
		wg.Add(1)
		go func(part int, b []byte, n int) {
			defer wg.Done()
			defer func() { free <- b }()
			p, err := s.core.PutObjectPart(uctx, s.bucket, key, id, part, bytes.NewReader(b[:n]), int64(n),
				minio.PutObjectPartOptions{SSE: s.readSSE})
			if err != nil {
				fail(s.mapErr(ctx, fmt.Sprintf("put (part %d)", part), key, err))
				return
			}
			mu.Lock()
			parts = append(parts, minio.CompletePart{PartNumber: part, ETag: p.ETag})
			mu.Unlock()
		}(part, b, n)
		total += int64(n)
		if n < len(b) { // a short part is the last
			break
		}
		// the next part's buffer: a free one, a new one while fewer than
		// s.concurrency exist, else wait for a part to finish
		select {
		case b = <-free:
		default:
			if len(borrowed)+1 < s.concurrency {
				bp := s.parts.Get().(*[]byte)
				borrowed = append(borrowed, bp)
				b = *bp
			} else {
				select {
				case b = <-free:
				case <-uctx.Done():
					b = nil
				}
			}
		}
		if b == nil || uctx.Err() != nil {
			break
		}
		var err error
		n, err = io.ReadFull(body, b)
		if err == io.EOF {
			break
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			fail(s.bodyErr(ctx, key, err))
			break
		}
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = s.mapErr(ctx, "put", key, ctx.Err())
	}
	if firstErr != nil {
		return nil, 0, firstErr
	}
	slices.SortFunc(parts, func(a, b minio.CompletePart) int { return a.PartNumber - b.PartNumber })
	return parts, total, nil
}

// abort aborts the multipart upload id after cause, with a context that
// outlives ctx, and returns cause annotated with the outcome.
func (s *Store) abort(ctx context.Context, key, id string, cause error) error {
	t := s.timeout
	if t <= 0 {
		t = abortTimeout
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t)
	defer cancel()
	aerr := s.core.AbortMultipartUpload(actx, s.bucket, key, id)
	if aerr == nil || minio.ToErrorResponse(aerr).Code == "NoSuchUpload" {
		return cause
	}
	leftover := fmt.Errorf("storage/s3: the multipart upload %s of %q could not be aborted and keeps its parts on the server until AbortIncomplete or a lifecycle rule removes it: %w", id, key, aerr)
	var ge *errors.Error
	if stderrors.As(cause, &ge) {
		return ge.WithCause(stderrors.Join(stderrors.Unwrap(cause), leftover)).WithMetadata(map[string]string{"upload_id": id})
	}
	return stderrors.Join(cause, leftover)
}

func (s *Store) putInfo(key string, size int64, ui minio.UploadInfo, po minio.PutObjectOptions) storage.Info {
	mt := ui.LastModified
	if mt.IsZero() {
		mt = s.now().UTC().Truncate(time.Second)
	}
	return storage.Info{Key: key, Size: size, ContentType: po.ContentType, ETag: strings.Trim(ui.ETag, `"`),
		ModTime: mt, Metadata: cloneMD(po.UserMetadata)}
}

// bodyErr turns a failure to read the body into the Put's error: the
// storage.ErrTooLarge of limitReader as it is, ctx's error as the
// context's, the reader's own error wrapped.
func (s *Store) bodyErr(ctx context.Context, key string, err error) error {
	if stderrors.Is(err, storage.ErrTooLarge) {
		return err
	}
	if ctx.Err() != nil {
		return s.mapErr(ctx, "put", key, ctx.Err())
	}
	return fmt.Errorf("storage/s3: put %q: reading the body: %w", key, err)
}

// limitReader fails with storage.ErrTooLarge once more than max bytes were
// read (max > 0).
type limitReader struct {
	r   io.Reader
	max int64
	n   int64
	key string
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.max > 0 && l.n > l.max {
		return 0, storage.TooLarge(l.key, l.max)
	}
	if l.max > 0 && int64(len(p)) > l.max-l.n+1 {
		p = p[:l.max-l.n+1] // read at most one byte past the limit
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.max > 0 && l.n > l.max {
		return 0, storage.TooLarge(l.key, l.max)
	}
	return n, err
}

// Get opens key (see storage.Store.Get). Under SSE-C it sends the customer
// key.
func (s *Store) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Info, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, storage.Info{}, err
	}
	if opts.Offset < 0 {
		_, _, err := storage.ResolveRange(key, opts, 0)
		return nil, storage.Info{}, err
	}
	ranged := opts.Offset > 0 || opts.Length > 0
	body, info, err := s.get(ctx, key, opts, ranged)
	if err != nil && ranged && opts.Offset == 0 && stderrors.Is(err, storage.ErrInvalidRange) {
		// Offset 0 is valid on an empty object, where S3 answers 416 to any range.
		body, info, err = s.get(ctx, key, opts, false)
	}
	return body, info, err
}

func (s *Store) get(ctx context.Context, key string, opts storage.GetOptions, ranged bool) (io.ReadCloser, storage.Info, error) {
	gopts := minio.GetObjectOptions{ServerSideEncryption: s.readSSE}
	if ranged {
		end := int64(0)
		if opts.Length > 0 {
			end = opts.Offset + opts.Length - 1
		}
		if err := gopts.SetRange(opts.Offset, end); err != nil {
			return nil, storage.Info{}, storage.ErrInvalidRange.WithMessage("storage/s3: get %q: %v", key, err)
		}
	}
	body, oi, hdr, err := s.core.GetObject(ctx, s.bucket, key, gopts)
	if err != nil {
		return nil, storage.Info{}, s.mapErr(ctx, "get", key, err)
	}
	info := s.toInfo(key, oi)
	if ranged {
		total, ok := totalFromContentRange(hdr.Get("Content-Range"))
		if !ok {
			body.Close()
			return nil, storage.Info{}, errors.Internal("S3_BAD_RESPONSE", "").
				WithMessage("storage/s3: get %q: the server answered a range request without a valid Content-Range (%q)", key, hdr.Get("Content-Range"))
		}
		info.Size = total
	}
	return body, info, nil
}

// totalFromContentRange returns the complete length of "bytes a-b/total".
func totalFromContentRange(v string) (int64, bool) {
	_, total, ok := strings.Cut(v, "/")
	if !ok || !strings.HasPrefix(v, "bytes ") {
		return 0, false
	}
	n, err := strconv.ParseInt(total, 10, 64)
	return n, err == nil && n >= 0
}

// Stat returns key's Info or storage.ErrNotExist.
func (s *Store) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.Info{}, err
	}
	octx, cancel := s.opContext(ctx)
	defer cancel()
	oi, err := s.client.StatObject(octx, s.bucket, key, minio.StatObjectOptions{ServerSideEncryption: s.readSSE})
	if err != nil {
		return storage.Info{}, s.mapErr(octx, "stat", key, err)
	}
	return s.toInfo(key, oi), nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	octx, cancel := s.opContext(ctx)
	defer cancel()
	if err := s.client.RemoveObject(octx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return nil
		}
		return s.mapErr(octx, "delete", key, err)
	}
	return nil
}

// List returns a page of the keys under prefix (see storage.Store.List),
// with ListObjectsV2's StartAfter: a page resumes after the last key of the
// previous one. Items carry Key, Size, ETag and ModTime; Stat has the
// content type and metadata.
func (s *Store) List(ctx context.Context, prefix string, page storage.Page) (storage.ListResult, error) {
	if err := storage.ValidatePrefix(prefix); err != nil {
		return storage.ListResult{}, err
	}
	after, err := storage.DecodeToken(page.Token)
	if err != nil {
		return storage.ListResult{}, err
	}
	limit := page.EffectiveLimit()
	octx, cancel := s.opContext(ctx)
	defer cancel()
	lctx, stop := context.WithCancel(octx)
	ch := s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{
		Prefix: prefix, Recursive: true, StartAfter: after, MaxKeys: min(limit+1, 1000),
	})
	defer func() {
		stop()
		for range ch { // let the lister's goroutine end
		}
	}()
	var res storage.ListResult
	for o := range ch {
		if o.Err != nil {
			return storage.ListResult{}, s.mapErr(octx, "list", prefix, o.Err)
		}
		if len(res.Items) == limit {
			res.Next = storage.EncodeToken(res.Items[limit-1].Key)
			break
		}
		res.Items = append(res.Items, storage.Info{Key: o.Key, Size: o.Size, ETag: strings.Trim(o.ETag, `"`), ModTime: o.LastModified})
	}
	if err := octx.Err(); err != nil && res.Next == "" {
		return storage.ListResult{}, s.mapErr(octx, "list", prefix, err)
	}
	return res, nil
}

// SignedURL returns a presigned URL for GET or PUT of key, valid for ttl
// (at most MaxSignedURLTTL). A PUT through it stores the request's body as
// it is, with the Content-Type the client sends, and with the bucket's
// default encryption, not Config.SSE. Under SSE-C a GET URL is refused: the
// key would have to travel in headers the URL cannot carry.
func (s *Store) SignedURL(ctx context.Context, key, method string, ttl time.Duration) (string, error) {
	if err := storage.ValidateKey(key); err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > MaxSignedURLTTL {
		return "", errors.BadRequest("INVALID_TTL", "").
			WithMessage("storage/s3: signed URL for %q: ttl %v is not within (0, %v]", key, ttl, MaxSignedURLTTL)
	}
	var (
		u   *url.URL
		err error
	)
	switch method {
	case http.MethodGet:
		if s.readSSE != nil {
			return "", errors.BadRequest("SSE_C_SIGNED_GET", "").
				WithMessage("storage/s3: signed GET URL for %q: objects under SSE-C need the customer key in headers, which a URL cannot carry", key)
		}
		u, err = s.client.PresignedGetObject(ctx, s.bucket, key, ttl, nil)
	case http.MethodPut:
		u, err = s.client.PresignedPutObject(ctx, s.bucket, key, ttl)
	default:
		return "", errors.BadRequest("INVALID_METHOD", "").
			WithMessage("storage/s3: signed URL for %q: method %q is not GET or PUT", key, method)
	}
	if err != nil {
		return "", s.mapErr(ctx, "sign", key, err)
	}
	return u.String(), nil
}

// AbortIncomplete aborts the multipart uploads under prefix that were
// started more than olderThan ago, and returns how many it aborted. Put
// aborts its own failed uploads; this removes those whose abort could not
// reach the server (it was down), and those of crashed processes. Do not
// pass a olderThan shorter than the longest upload in progress.
func (s *Store) AbortIncomplete(ctx context.Context, prefix string, olderThan time.Duration) (int, error) {
	if err := storage.ValidatePrefix(prefix); err != nil {
		return 0, err
	}
	cutoff := s.now().Add(-olderThan)
	lctx, stop := context.WithCancel(ctx)
	ch := s.client.ListIncompleteUploads(lctx, s.bucket, prefix, true)
	defer func() {
		stop()
		for range ch {
		}
	}()
	n := 0
	for u := range ch {
		if u.Err != nil {
			return n, s.mapErr(ctx, "list incomplete uploads", prefix, u.Err)
		}
		if u.Initiated.After(cutoff) {
			continue
		}
		octx, cancel := s.opContext(ctx)
		err := s.core.AbortMultipartUpload(octx, s.bucket, u.Key, u.UploadID)
		cancel()
		if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
			return n, s.mapErr(ctx, "abort upload "+u.UploadID, u.Key, err)
		}
		n++
	}
	return n, nil
}

func (s *Store) toInfo(key string, oi minio.ObjectInfo) storage.Info {
	ct := oi.ContentType
	if ct == "" {
		ct = storage.DefaultContentType
	}
	var md map[string]string
	if len(oi.UserMetadata) > 0 {
		md = make(map[string]string, len(oi.UserMetadata))
		for k, v := range oi.UserMetadata {
			md[strings.ToLower(k)] = v
		}
	}
	return storage.Info{Key: key, Size: oi.Size, ContentType: ct, ETag: strings.Trim(oi.ETag, `"`),
		ModTime: oi.LastModified, Metadata: md}
}

func cloneMD(md map[string]string) map[string]string {
	if len(md) == 0 {
		return nil
	}
	out := make(map[string]string, len(md))
	for k, v := range md {
		out[k] = v
	}
	return out
}
