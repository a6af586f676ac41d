package entx

import "context"

// Update is what an ent-generated update builder offers: Save returns how many rows it
// changed.
type Update interface {
	Save(ctx context.Context) (int, error)
}

// UpdateOne runs an update that must change exactly one row: it returns the update's own
// error, or missed when the count is not 1 (the row is gone, or is no longer in the state
// the update's predicate asks for). A repository writes
//
//	return entx.UpdateOne(ctx, u, fmt.Errorf("finish request %s: %w", no, biz.ErrRequestFinished))
func UpdateOne(ctx context.Context, u Update, missed error) error {
	n, err := u.Save(ctx)
	if err != nil {
		return err
	}
	if n != 1 {
		return missed
	}
	return nil
}
