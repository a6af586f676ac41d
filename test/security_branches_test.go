package test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dtm-labs/dtm/client/dtmgrpc/dtmgimp"
	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	rpv1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	tcv1 "github.com/p2p-dtx/p2p-dtx/api/trade-center/v1"
	uav1 "github.com/p2p-dtx/p2p-dtx/api/unified-account/v1"
	ucv1 "github.com/p2p-dtx/p2p-dtx/api/user-center/v1"
	"github.com/p2p-dtx/p2p-dtx/pkg/dtmx"
	"github.com/p2p-dtx/p2p-dtx/test/stack"
)

// DTM branches answer only calls that carry the credential of their own transaction
// (README "Security model", pkg/dtmx): each branch service of the platform is called the
// way an attacker who reaches its gRPC port would — hand-made DTM metadata, no
// credential, another transaction's credential — and refuses with Unauthenticated
// BRANCH_CREDENTIAL_REQUIRED, leaving no row behind.
func TestDTMBranchesRefuseCallsWithoutTheTransactionsCredential(t *testing.T) {
	env := stack.Load(t)
	key := branchKey(t, env)
	dial := func(svc string) *grpc.ClientConn {
		conn, err := grpc.NewClient(stack.GRPC(svc), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	// call returns a context for a DTM branch call of gid with credential cred ("": none).
	call := func(transType, gid, branch, op, cred string) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ctx = dtmgimp.TransInfo2Ctx(ctx, gid, transType, branch, op, stack.DTMGRPC)
		if cred != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, dtmx.CredentialHeader, cred)
		}
		return ctx, cancel
	}
	account := uav1.NewAccountRegistrationClient(dial("unified-account"))

	t.Run("registration: Try and Confirm of a transaction nobody started", func(t *testing.T) {
		u := freshUser(t, env, "TCC")
		gid := "forged-" + u.Username
		req := accountRequest(t, key, gid, u)
		for name, cred := range map[string]string{"no credential": "", "another gid's credential": key.Credential("tcc", gid+"x")} {
			for _, op := range []string{"try", "confirm"} {
				ctx, cancel := call("tcc", gid, "01", op, cred)
				var err error
				if op == "try" {
					_, err = account.TryCreateAccount(ctx, req)
				} else {
					_, err = account.ConfirmCreateAccount(ctx, req)
				}
				cancel()
				refusedForCredential(t, name+" "+op, err)
			}
		}
		if err := countRows(t, env, u).none(); err != nil {
			t.Fatal(err)
		}
		noBarrierRows(t, env, gid)
	})

	t.Run("registration: an XA branch of a transaction nobody started", func(t *testing.T) {
		u := freshUser(t, env, "XA")
		gid := "forged-xa-" + u.Username
		ctx, cancel := call("xa", gid, "01", "action", "")
		defer cancel()
		_, err := account.XaCreateAccount(ctx, accountRequest(t, key, gid, u))
		refusedForCredential(t, "xa action", err)
		if err := countRows(t, env, u).none(); err != nil {
			t.Fatal(err)
		}
		noPreparedXA(t, env, gid)
	})

	t.Run("registration: the credential without the key's seal on the hash", func(t *testing.T) {
		u := freshUser(t, env, "TCC")
		gid := "forged-seal-" + u.Username
		sealedElsewhere, err := key.Seal(gid+"x", []byte(passwordHash))
		if err != nil {
			t.Fatal(err)
		}
		for name, sealed := range map[string]string{"a hash in clear": passwordHash, "a hash sealed for another gid": sealedElsewhere} {
			ctx, cancel := call("tcc", gid, "01", "try", key.Credential("tcc", gid))
			_, err := account.TryCreateAccount(ctx, &uav1.CreateAccountRequest{
				Username: u.Username, Mobile: u.Mobile, SealedPasswordHash: sealed, Role: "INVESTOR"})
			cancel()
			if e := kerrors.FromError(err); e.Reason != "INVALID_BRANCH_REQUEST" {
				t.Errorf("%s: %v, want INVALID_BRANCH_REQUEST", name, err)
			}
		}
		if err := countRows(t, env, u).none(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("user-center's consumer branch", func(t *testing.T) {
		u := freshUser(t, env, "TCC")
		gid := "forged-consumer-" + u.Username
		ctx, cancel := call("tcc", gid, "02", "try", "")
		defer cancel()
		_, err := ucv1.NewConsumerRegistrationClient(dial("user-center")).TryCreateConsumer(ctx,
			&ucv1.CreateConsumerRequest{UserId: 999999999, Username: u.Username, Mobile: u.Mobile, Role: "INVESTOR"})
		refusedForCredential(t, "consumer try", err)
		if err := countRows(t, env, u).none(); err != nil {
			t.Fatal(err)
		}
		noBarrierRows(t, env, gid)
	})

	t.Run("trade-center's installment-repaid step", func(t *testing.T) {
		gid := fmt.Sprintf("forged-repaid-%d", time.Now().UnixNano())
		const project = 987654321
		ctx, cancel := call("msg", gid, "01", "action", "")
		defer cancel()
		_, err := tcv1.NewTradeCenterBranchesClient(dial("trade-center")).RecordInstallmentRepaid(ctx, &tcv1.InstallmentRepaid{
			ProjectId: project, Period: 1, RequestNo: gid, Amount: "100.00", RepaidAt: timestamppb.Now()})
		refusedForCredential(t, "record installment repaid", err)
		var n int
		if err := env.Inspect(t, "trade_center").QueryRow("SELECT COUNT(*) FROM project_installment WHERE project_id = ?", project).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d installment rows written by a forged step", n)
		}
		noBarrierRows(t, env, gid)
	})

	t.Run("repayment's check-back", func(t *testing.T) {
		gid := fmt.Sprintf("forged-check-%d", time.Now().UnixNano())
		ctx, cancel := call("msg", gid, "00", "msg", "")
		defer cancel()
		_, err := rpv1.NewRepaymentBranchesClient(dial("repayment")).QueryPrepared(ctx, nil)
		refusedForCredential(t, "query prepared", err)
		// An answered check-back writes a rollback row; a refused one writes nothing.
		noBarrierRows(t, env, gid)
	})
}

func refusedForCredential(t *testing.T, what string, err error) {
	t.Helper()
	if status.Code(err) != codes.Unauthenticated || kerrors.FromError(err).Reason != dtmx.ReasonCredential {
		t.Errorf("%s: %v, want Unauthenticated %s", what, err, dtmx.ReasonCredential)
	}
}

func noBarrierRows(t *testing.T, env stack.Env, gid string) {
	t.Helper()
	var n int
	if err := env.Inspect(t, "dtm_barrier").QueryRow("SELECT COUNT(*) FROM barrier WHERE gid = ?", gid).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d barrier rows for %s", n, gid)
	}
}
