package errors_test

import (
	stderrors "errors"
	"fmt"

	"github.com/goxkit/gox/errors"
)

func ExampleError() {
	errUserNotFound := errors.NotFound("USER_NOT_FOUND", "user not found")

	// A handler wraps the cause and adds detail; the sentinel still matches.
	err := fmt.Errorf("load profile: %w",
		errUserNotFound.WithCause(stderrors.New("sql: no rows")).WithMetadata(map[string]string{"id": "7"}))
	fmt.Println(stderrors.Is(err, errUserNotFound), errors.Code(err), errors.Reason(err))

	// What a client is shown in production: no cause, no stack.
	pub := errors.FromError(err).Public(true)
	fmt.Println(pub.Code, pub.Message, pub.Metadata["id"], pub.Unwrap() == nil)
	// Output:
	// true 404 USER_NOT_FOUND
	// 404 user not found 7 true
}
