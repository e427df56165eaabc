// Package users is a service defined by a Go interface, the API-first way
// gctl gen api supports (docs/api-first.md): Users below is the definition;
//
//	gctl gen api --dir examples/users
//
// wrote users_http.gen.go (the routes), users_client.gen.go (a typed client
// over gox's HTTP client that implements Users too), users_mock.gen.go (a
// mock for tests) and, once, users_service.go (the implementation, filled in
// by hand).
package users

import "context"

// Users keeps a directory of users.
//
//gox:api
type Users interface {
	// GetUser returns the user with the id, or 404 USER_NOT_FOUND.
	//gox:http GET /v1/users/{id}
	GetUser(ctx context.Context, req *GetUserReq) (*User, error)
	// ListUsers returns the users whose name starts with a prefix, at most
	// limit of them.
	//gox:http GET /v1/users
	ListUsers(ctx context.Context, req *ListUsersReq) (*UserList, error)
	// CreateUser adds a user.
	//gox:http POST /v1/users
	CreateUser(ctx context.Context, req *CreateUserReq) (*User, error)
	// RenameUser changes a user's name.
	//gox:http PATCH /v1/users/{id}
	RenameUser(ctx context.Context, req *RenameUserReq) (*User, error)
	// DeleteUser removes a user.
	//gox:http DELETE /v1/users/{id}
	DeleteUser(ctx context.Context, req *DeleteUserReq) (*Deleted, error)
}

// User is a user of the directory.
type User struct {
	ID   int64    `json:"id"`
	Name string   `json:"name"`
	Tags []string `json:"tags,omitempty"`
}

// UserList is a page of users.
type UserList struct {
	Users []User `json:"users"`
}

// Deleted says which user was removed.
type Deleted struct {
	ID int64 `json:"id"`
}

// GetUserReq names a user.
type GetUserReq struct {
	ID int64 `uri:"id" json:"-" binding:"required,min=1"`
}

// ListUsersReq filters the list.
type ListUsersReq struct {
	Prefix string   `form:"prefix" json:"-"`
	Limit  *int     `form:"limit" json:"-" binding:"omitempty,min=1,max=100"`
	Tags   []string `form:"tag" json:"-"`
}

// CreateUserReq is a new user.
type CreateUserReq struct {
	Name string   `json:"name" binding:"required,max=64"`
	Tags []string `json:"tags"`
}

// RenameUserReq renames a user.
type RenameUserReq struct {
	ID   int64  `uri:"id" json:"-" binding:"required,min=1"`
	Name string `json:"name" binding:"required,max=64"`
}

// DeleteUserReq names the user to remove.
type DeleteUserReq struct {
	ID int64 `uri:"id" json:"-" binding:"required,min=1"`
}
