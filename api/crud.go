package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
)

// MaxJSONBody is the largest JSON body the CRUD adapters read.
const MaxJSONBody = 1 << 20

// Create, Read, Update and Delete adapt a domain service's account-scoped
// methods to handlers for WithAccount: the body is read with DecodeJSON,
// the id from the path parameter "id" (PathID), and the result is answered
// as JSON (201 for Create, 204 for Delete); the service's coded errors are
// mapped as any handler's.
func Create[In, Out any](fn func(ctx context.Context, acct int64, in In) (Out, error)) func(echo.Context, int64) error {
	return func(c echo.Context, acct int64) error {
		var in In
		if err := DecodeJSON(c, &in, MaxJSONBody); err != nil {
			return err
		}
		out, err := fn(c.Request().Context(), acct, in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, out)
	}
}

// Read answers one item by its path id (see Create).
func Read[Out any](fn func(ctx context.Context, acct, id int64) (Out, error)) func(echo.Context, int64) error {
	return func(c echo.Context, acct int64) error {
		id, err := PathID(c, "id")
		if err != nil {
			return err
		}
		out, err := fn(c.Request().Context(), acct, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
}

// Update replaces one item by its path id from the body (see Create).
func Update[In, Out any](fn func(ctx context.Context, acct, id int64, in In) (Out, error)) func(echo.Context, int64) error {
	return func(c echo.Context, acct int64) error {
		id, err := PathID(c, "id")
		if err != nil {
			return err
		}
		var in In
		if err := DecodeJSON(c, &in, MaxJSONBody); err != nil {
			return err
		}
		out, err := fn(c.Request().Context(), acct, id, in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
}

// Delete removes one item by its path id (see Create).
func Delete(fn func(ctx context.Context, acct, id int64) error) func(echo.Context, int64) error {
	return func(c echo.Context, acct int64) error {
		id, err := PathID(c, "id")
		if err != nil {
			return err
		}
		if err := fn(c.Request().Context(), acct, id); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
