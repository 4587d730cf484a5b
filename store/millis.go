package store

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"time"

	"gorm.io/gorm/schema"
)

// A time.Duration field tagged `serializer:millis` is stored as whole
// milliseconds (a BIGINT column, e.g. an agent's wrap_up_ms): the domain
// types keep their durations and the stored figures stay what an operator
// reads in the database.
func init() { schema.RegisterSerializer("millis", millisSerializer{}) }

type millisSerializer struct{}

// Scan reads milliseconds (NULL: 0) into the duration field.
func (millisSerializer) Scan(ctx context.Context, field *schema.Field, dst reflect.Value, dbValue any) error {
	var n sql.NullInt64
	if err := n.Scan(dbValue); err != nil {
		return fmt.Errorf("store: column %s: %w", field.DBName, err)
	}
	return field.Set(ctx, dst, int64(time.Duration(n.Int64)*time.Millisecond))
}

// Value writes the duration as whole milliseconds (truncated).
func (millisSerializer) Value(_ context.Context, field *schema.Field, _ reflect.Value, fieldValue any) (any, error) {
	d, ok := fieldValue.(time.Duration)
	if !ok {
		return nil, fmt.Errorf("store: column %s: the millis serializer stores a time.Duration, not %T", field.DBName, fieldValue)
	}
	return d.Milliseconds(), nil
}
