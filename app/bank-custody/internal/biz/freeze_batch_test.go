package biz_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
)

func order(requestNo, userNo, amt string) biz.FreezeOrder {
	return biz.FreezeOrder{RequestNo: requestNo, ProjectNo: "PN1", UserNo: userNo, Amount: amount(amt)}
}

// outcome is an outcome in a line: the freeze's amount or the refusal.
func outcome(o biz.FreezeOutcome) string {
	if o.Err != nil {
		return o.Order.RequestNo + " refused"
	}
	return o.Order.RequestNo + " " + string(o.Freeze.Status) + " " + o.Freeze.Amount.String()
}

func TestFreezeBatchAnswersEachOrderAsAFreezeAlone(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	if _, err := uc.Freeze(ctx, "P2PDTX", order("FZ0", "BUI2", "100.00")); err != nil {
		t.Fatal(err)
	}
	orders := []biz.FreezeOrder{
		order("FZ1", "BUI1", "70.00"),  // all BUI1 has available
		order("FZ2", "BUI1", "0.01"),   // nothing left after FZ1
		order("FZ0", "BUI2", "100.00"), // a repeat: answered, nothing more held
		order("FZ3", "BUI2", "800.00"), // 100 + 70 + 800 = 970 of 1000
		order("FZ4", "BUI2", "30.01"),  // would pass the project's amount
		order("FZ5", "BU404", "1.00"),  // no such account
		order("FZ6", "BUX", "1.00"),    // another platform's
		order("FZ7", "BUI2", "30.00"),  // fills the project exactly
	}
	out, err := uc.FreezeBatch(ctx, "P2PDTX", "PN1", orders)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line string
		err  error
	}{
		{"FZ1 FROZEN 70.00", nil}, {"FZ2 refused", biz.ErrInsufficientBalance}, {"FZ0 FROZEN 100.00", nil},
		{"FZ3 FROZEN 800.00", nil}, {"FZ4 refused", biz.ErrExceedsProjectAmount}, {"FZ5 refused", biz.ErrAccountNotFound},
		{"FZ6 refused", biz.ErrAccountNotFound}, {"FZ7 FROZEN 30.00", nil},
	}
	if len(out) != len(want) {
		t.Fatalf("%d outcomes for %d orders", len(out), len(orders))
	}
	for i, w := range want {
		if got := outcome(out[i]); got != w.line || (w.err != nil && !errors.Is(out[i].Err, w.err)) {
			t.Errorf("order %d: %s (%v), want %s (%v)", i, got, out[i].Err, w.line, w.err)
		}
	}
	wantAccount(t, bank, "BUI1", "100.00", "100.00")
	wantAccount(t, bank, "BUI2", "2000.00", "930.00")
	if p, _ := bank.Project("PN1"); p.Held.String() != "1000.00" {
		t.Errorf("project holds %s, want 1000.00", p.Held)
	}
	for _, no := range []string{"FZ1", "FZ3", "FZ7"} {
		if r, ok := bank.Request(no); !ok || r.ServiceName != biz.ServiceFreeze || r.Status != biz.RequestSuccess {
			t.Errorf("request %s: %+v, %v", no, r, ok)
		}
	}
	if n := len(bank.Freezes()); n != 4 {
		t.Errorf("%d freezes, want 4", n)
	}

	// The whole batch again: the same outcomes, nothing more held (a refused order
	// stays refused while nothing changed).
	again, err := uc.FreezeBatch(ctx, "P2PDTX", "PN1", orders)
	if err != nil {
		t.Fatal(err)
	}
	for i := range again {
		if outcome(again[i]) != outcome(out[i]) {
			t.Errorf("repeat of order %d: %s, first %s", i, outcome(again[i]), outcome(out[i]))
		}
	}
	wantAccount(t, bank, "BUI2", "2000.00", "930.00")
}

func TestFreezeBatchOfAProjectNotCollecting(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	if _, err := uc.Freeze(ctx, "P2PDTX", order("FZ1", "BUI2", "1000.00")); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.ConfirmLoan(ctx, "P2PDTX", "LN1", "PN1"); err != nil {
		t.Fatal(err)
	}
	out, err := uc.FreezeBatch(ctx, "P2PDTX", "PN1", []biz.FreezeOrder{order("FZ1", "BUI2", "1000.00"), order("FZ2", "BUI2", "1.00")})
	if err != nil {
		t.Fatal(err)
	}
	if outcome(out[0]) != "FZ1 TRANSFERRED 1000.00" || !errors.Is(out[1].Err, biz.ErrProjectNotCollecting) {
		t.Fatalf("outcomes %s (%v), %s (%v)", outcome(out[0]), out[0].Err, outcome(out[1]), out[1].Err)
	}
	if _, ok := bank.Request("FZ2"); ok {
		t.Fatal("a refused order left a request")
	}
}

func TestFreezeBatchRefusesABadBatchWhole(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	tooMany := make([]biz.FreezeOrder, biz.MaxFreezeBatch+1)
	for i := range tooMany {
		tooMany[i] = order(fmt.Sprintf("FZ%d", i), "BUI2", "1.00")
	}
	other := order("FZ2", "BUI2", "1.00")
	other.ProjectNo = "PN2"
	for name, tc := range map[string]struct {
		projectNo string
		orders    []biz.FreezeOrder
		field     string
		want      error
	}{
		"no orders":          {"PN1", nil, "orders", nil},
		"too many":           {"PN1", tooMany, "orders", nil},
		"a number twice":     {"PN1", []biz.FreezeOrder{order("FZ1", "BUI2", "1.00"), order("FZ1", "BUI1", "2.00")}, "orders[1].requestNo", nil},
		"another project":    {"PN1", []biz.FreezeOrder{order("FZ1", "BUI2", "1.00"), other}, "orders[1].projectNo", nil},
		"a zero amount":      {"PN1", []biz.FreezeOrder{order("FZ1", "BUI2", "1.00"), order("FZ2", "BUI2", "0")}, "orders[1].amount", nil},
		"no project number":  {"", []biz.FreezeOrder{order("FZ1", "BUI2", "1.00")}, "projectNo", nil},
		"an unknown project": {"PN9", []biz.FreezeOrder{{RequestNo: "FZ1", ProjectNo: "PN9", UserNo: "BUI2", Amount: amount("1.00")}}, "", biz.ErrProjectNotFound},
	} {
		_, err := uc.FreezeBatch(ctx, "P2PDTX", tc.projectNo, tc.orders)
		var ve *biz.ValidationError
		switch {
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		case tc.want == nil && (!errors.As(err, &ve) || ve.Field != tc.field):
			t.Errorf("%s: %v, want a validation error of %s", name, err, tc.field)
		}
	}
	wantAccount(t, bank, "BUI2", "2000.00", "0.00")
	if len(bank.Freezes()) != 0 || bank.Requests() != 0 {
		t.Fatalf("refused batches left %d freezes, %d requests", len(bank.Freezes()), bank.Requests())
	}
}

func TestFreezeBatchRefusesANumberOfAnotherKind(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	if _, err := uc.ConfirmLoan(ctx, "P2PDTX", "LN1", "PN1"); !errors.Is(err, biz.ErrNothingFrozen) {
		t.Fatalf("loan of nothing: %v", err)
	}
	bank.PutRequest(biz.CustodyRequest{RequestNo: "RC1", PlatformNo: "P2PDTX", ServiceName: biz.ServiceRecharge,
		UserNo: "BUI2", Status: biz.RequestSuccess})
	out, err := uc.FreezeBatch(ctx, "P2PDTX", "PN1", []biz.FreezeOrder{order("RC1", "BUI2", "1.00"), order("FZ1", "BUI2", "2.00")})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(out[0].Err, biz.ErrRequestNoConflict) || outcome(out[1]) != "FZ1 FROZEN 2.00" {
		t.Fatalf("outcomes %s (%v), %s", outcome(out[0]), out[0].Err, outcome(out[1]))
	}
	wantAccount(t, bank, "BUI2", "2000.00", "2.00")
}

// racedFreezes is a freeze repository whose batch insert meets a number stored meanwhile.
type racedFreezes struct{ biz.FreezeRepo }

func (racedFreezes) CreateAll(context.Context, []*biz.Freeze) error {
	return fmt.Errorf("%w: one of the freezes", biz.ErrDuplicateRequest)
}

func TestAFreezeBatchThatMeetsANumberStoredMeanwhileIsNoRefusal(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := biz.NewLendingUsecase(bank.Tx(), bank.RequestRepo(), bank.UserRepo(), bank.AccountRepo(), bank.ProjectRepo(),
		racedFreezes{bank.FreezeRepo()})
	_, err := uc.FreezeBatch(context.Background(), "P2PDTX", "PN1", []biz.FreezeOrder{order("FZ1", "BUI2", "1.00")})
	var ve *biz.ValidationError
	// A refusal would make the platform fail its tenders; this must leave them to be sent again.
	if err == nil || errors.Is(err, biz.ErrRequestNoConflict) || errors.Is(err, biz.ErrDuplicateRequest) || errors.As(err, &ve) {
		t.Fatalf("a batch that raced another call: %v, want a plain failure (500: send it again)", err)
	}
	wantAccount(t, bank, "BUI2", "2000.00", "0.00")
}
