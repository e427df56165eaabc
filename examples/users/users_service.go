package users

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/goxkit/gox/errors"
)

// UsersService implements the interface. gctl gen api wrote this
// file once and never overwrites it: it is yours to edit. When you add a
// method to the interface, add it here too (the compiler says which).
type UsersService struct {
	mu    sync.Mutex
	next  int64
	users map[int64]User
}

var _ Users = (*UsersService)(nil)

// NewUsersService returns the implementation to serve:
// RegisterUsersHTTP(server, NewUsersService()).
func NewUsersService() *UsersService { return &UsersService{users: map[int64]User{}} }

// ErrUserNotFound is GetUser's answer for an id it does not know.
var ErrUserNotFound = errors.NotFound("USER_NOT_FOUND", "no such user")

// GetUser returns the user with the id, or 404 USER_NOT_FOUND.
func (s *UsersService) GetUser(_ context.Context, req *GetUserReq) (*User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[req.ID]
	if !ok {
		return nil, ErrUserNotFound.WithMessage("no user %d", req.ID)
	}
	return &u, nil
}

// ListUsers returns the users whose name starts with a prefix, at most
// limit of them.
func (s *UsersService) ListUsers(_ context.Context, req *ListUsersReq) (*UserList, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &UserList{Users: []User{}}
	for _, u := range s.users {
		if strings.HasPrefix(u.Name, req.Prefix) && hasAll(u.Tags, req.Tags) {
			out.Users = append(out.Users, u)
		}
	}
	slices.SortFunc(out.Users, func(a, b User) int { return int(a.ID - b.ID) })
	if req.Limit != nil && len(out.Users) > *req.Limit {
		out.Users = out.Users[:*req.Limit]
	}
	return out, nil
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// CreateUser adds a user.
func (s *UsersService) CreateUser(_ context.Context, req *CreateUserReq) (*User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	u := User{ID: s.next, Name: req.Name, Tags: req.Tags}
	s.users[u.ID] = u
	return &u, nil
}

// RenameUser changes a user's name.
func (s *UsersService) RenameUser(_ context.Context, req *RenameUserReq) (*User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[req.ID]
	if !ok {
		return nil, ErrUserNotFound.WithMessage("no user %d", req.ID)
	}
	u.Name = req.Name
	s.users[u.ID] = u
	return &u, nil
}

// DeleteUser removes a user.
func (s *UsersService) DeleteUser(_ context.Context, req *DeleteUserReq) (*Deleted, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[req.ID]; !ok {
		return nil, ErrUserNotFound.WithMessage("no user %d", req.ID)
	}
	delete(s.users, req.ID)
	return &Deleted{ID: req.ID}, nil
}
