package biz_test

import (
	"context"
	"errors"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
)

func unfreezeOf(requestNo, freezeNo, userNo, amt string) biz.UnfreezeOrder {
	return biz.UnfreezeOrder{RequestNo: requestNo, FreezeRequestNo: freezeNo, ProjectNo: "PN1", UserNo: userNo, Amount: amount(amt)}
}

func TestUnfreezeGivesTheMoneyBackOnce(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	if _, err := uc.Freeze(ctx, "P2PDTX", biz.FreezeOrder{RequestNo: "FZ1", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("600.00")}); err != nil {
		t.Fatal(err)
	}
	wantAccount(t, bank, "BUI2", "2000.00", "600.00")
	u, err := uc.Unfreeze(ctx, "P2PDTX", unfreezeOf("UF1", "FZ1", "BUI2", "600.00"))
	if err != nil || u.Status != biz.FreezeUnfrozen || u.FreezeRequestNo != "FZ1" || u.Amount.String() != "600.00" {
		t.Fatalf("unfreeze: %+v, %v", u, err)
	}
	wantAccount(t, bank, "BUI2", "2000.00", "0.00")
	if r, ok := bank.Request("UF1"); !ok || r.ServiceName != biz.ServiceUnfreeze || r.Status != biz.RequestSuccess ||
		r.Details.FreezeRequestNo != "FZ1" || r.Details.ProjectNo != "PN1" || r.Amount.String() != "600.00" {
		t.Fatalf("request log %+v", r)
	}
	// The same request again, and another request number for the same freeze: the same
	// answer, nothing moves.
	for _, no := range []string{"UF1", "UF2"} {
		again, err := uc.Unfreeze(ctx, "P2PDTX", unfreezeOf(no, "FZ1", "BUI2", "600.00"))
		if err != nil || again.Status != biz.FreezeUnfrozen || again.RequestNo != no {
			t.Fatalf("repeat %s: %+v, %v", no, again, err)
		}
	}
	wantAccount(t, bank, "BUI2", "2000.00", "0.00")
	// The freeze repeated after its unfreeze holds nothing; the project's amount is free.
	if f, err := uc.Freeze(ctx, "P2PDTX", biz.FreezeOrder{RequestNo: "FZ1", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("600.00")}); err != nil || f.Status != biz.FreezeUnfrozen {
		t.Fatalf("freeze repeated after the unfreeze: %+v, %v", f, err)
	}
	if _, err := uc.Freeze(ctx, "P2PDTX", biz.FreezeOrder{RequestNo: "FZ2", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("1000.00")}); err != nil {
		t.Fatalf("the whole amount after an unfreeze: %v", err)
	}
	wantAccount(t, bank, "BUI2", "2000.00", "1000.00")
}

func TestUnfreezeBeforeItsFreezeVoidsIt(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	u, err := uc.Unfreeze(ctx, "P2PDTX", unfreezeOf("UF1", "FZ1", "BUI2", "600.00"))
	if err != nil || u.Status != biz.FreezeVoided {
		t.Fatalf("unfreeze of an unknown freeze: %+v, %v; want VOIDED", u, err)
	}
	// The freeze that arrives late is refused and holds nothing.
	_, err = uc.Freeze(ctx, "P2PDTX", biz.FreezeOrder{RequestNo: "FZ1", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("600.00")})
	if !errors.Is(err, biz.ErrFreezeVoided) {
		t.Fatalf("late freeze: %v, want ErrFreezeVoided", err)
	}
	wantAccount(t, bank, "BUI2", "2000.00", "0.00")
	if f := bank.Freezes()["FZ1"]; f.Status != biz.FreezeVoided {
		t.Fatalf("freeze %+v, want VOIDED", f)
	}
	if again, err := uc.Unfreeze(ctx, "P2PDTX", unfreezeOf("UF1", "FZ1", "BUI2", "600.00")); err != nil || again.Status != biz.FreezeVoided {
		t.Fatalf("repeat: %+v, %v", again, err)
	}
	// Voiding needs the platform's own account and a registered project.
	if _, err := uc.Unfreeze(ctx, "P2PDTX", unfreezeOf("UF2", "FZ2", "BUX", "1.00")); !errors.Is(err, biz.ErrAccountNotFound) {
		t.Errorf("another platform's user: %v, want ErrAccountNotFound", err)
	}
	other := unfreezeOf("UF3", "FZ3", "BUI2", "1.00")
	other.ProjectNo = "PN9"
	if _, err := uc.Unfreeze(ctx, "P2PDTX", other); !errors.Is(err, biz.ErrProjectNotFound) {
		t.Errorf("unknown project: %v, want ErrProjectNotFound", err)
	}
}

func TestUnfreezeRefusals(t *testing.T) {
	t.Parallel()
	bank := lendingBank()
	uc := newLending(bank)
	ctx := context.Background()
	for _, o := range []biz.FreezeOrder{
		{RequestNo: "FZ1", ProjectNo: "PN1", UserNo: "BUI2", Amount: amount("600.00")},
		{RequestNo: "FZ2", ProjectNo: "PN1", UserNo: "BUI1", Amount: amount("70.00")},
	} {
		if _, err := uc.Freeze(ctx, "P2PDTX", o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := uc.Unfreeze(ctx, "P2PDTX", unfreezeOf("UF1", "FZ1", "BUI2", "600.00")); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		order biz.UnfreezeOrder
		want  error
	}{
		"another amount":                   {unfreezeOf("UF2", "FZ2", "BUI1", "69.99"), biz.ErrRequestNoConflict},
		"another user":                     {unfreezeOf("UF3", "FZ2", "BUI2", "70.00"), biz.ErrRequestNoConflict},
		"the request number of a freeze":   {unfreezeOf("FZ1", "FZ2", "BUI1", "70.00"), biz.ErrRequestNoConflict},
		"its number for another freeze":    {unfreezeOf("UF1", "FZ2", "BUI1", "70.00"), biz.ErrRequestNoConflict},
		"no request number":                {unfreezeOf("", "FZ2", "BUI1", "70.00"), nil},
		"no freeze request number":         {unfreezeOf("UF4", "", "BUI1", "70.00"), nil},
		"a zero amount":                    {unfreezeOf("UF5", "FZ2", "BUI1", "0.00"), nil},
		"a freeze request number with a /": {unfreezeOf("UF6", "FZ/2", "BUI1", "70.00"), nil},
	} {
		_, err := uc.Unfreeze(ctx, "P2PDTX", tc.order)
		var ve *biz.ValidationError
		if (tc.want == nil && !errors.As(err, &ve)) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	wantAccount(t, bank, "BUI1", "100.00", "100.00")
	// A freeze paid to the borrower cannot come back.
	if _, err := uc.ConfirmLoan(ctx, "P2PDTX", "LN1", "PN1"); err != nil {
		t.Fatal(err)
	}
	if _, err := uc.Unfreeze(ctx, "P2PDTX", unfreezeOf("UF7", "FZ2", "BUI1", "70.00")); !errors.Is(err, biz.ErrFreezeTransferred) {
		t.Fatalf("unfreeze after the loan: %v, want ErrFreezeTransferred", err)
	}
	wantAccount(t, bank, "BUI1", "30.00", "30.00")
	if _, ok := bank.Request("UF7"); ok {
		t.Error("a refused unfreeze was recorded")
	}
}
