package biz

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/p2p-dtx/p2p-dtx/pkg/telemetry"
)

// Tenders of a hot project go in groups
//
// Each tender alone costs a locked transaction on the project row, two RSA signatures
// (the freeze and the bank's answer) and two more transactions. When hundreds of
// investors tender on one project at once, those per-tender costs are the ceiling, and
// every tender waits for the project's row lock anyway. So the tenders of one project that
// arrive while other groups of its tenders are on their way (GroupsInFlight) go together
// as the next group:
//
//  1. one transaction on the project's row lock reserves them in arrival order — each is
//     checked against what remains as if it were alone (a tender that does not fit gets
//     EXCEEDS_REMAINING and changes nothing), inserted PENDING with its own request
//     number, and raised grows once by the sum;
//  2. one signed call freezes them at the bank (POST /v1/freezes/batch, at most
//     MaxFreezeBatch) and the bank's one signed answer has each freeze's own outcome;
//  3. one transaction marks the frozen ones FROZEN; one more releases the refused ones
//     (FAILED, raised shrinks by their sum) — markFrozen and release of tender.go, the same
//     code a single tender settles with.
//
// Nothing else changes: no lock is held across a call, each tender keeps its own request
// number and outcome, an unknown outcome leaves the tenders PENDING for the settler (which
// sends each freeze again alone, the bank being idempotent per request number), and the
// crash points fire at the same steps. A tender that finds its project idle is a group of
// one at once, frozen by the single POST /v1/freezes the settler also sends: grouping adds
// no delay, it only uses the time a tender would have spent queueing on the row lock. Each instance groups its own
// requests; with two instances the project's row lock orders the two instances' groups.

// MaxFreezeBatch is the most tenders one group reserves and freezes together.
const MaxFreezeBatch = 50

// GroupsInFlight is how many groups of one project an instance has on their way at
// once: while one group waits for the bank, the next reserves, so the project's row lock,
// the bank and the settling transaction work on different groups at the same time.
const GroupsInFlight = 2

// queuedTender is one tender request waiting for, or in, a group.
type queuedTender struct {
	caller    Caller
	n         NewTender
	custody   Custody
	requestNo string

	turn   chan []*queuedTender // the group the tender runs (it is the group's first)
	done   chan struct{}        // closed when tender and err are the request's answer
	tender *Tender
	err    error
}

// answer settles q's request.
func (q *queuedTender) answer(t *Tender, err error) {
	q.tender, q.err = t, err
	close(q.done)
}

// tenderQueues are the waiting tenders per project of one instance.
type tenderQueues struct {
	mu     sync.Mutex
	queues map[int64]*tenderQueue
}

type tenderQueue struct {
	running int // groups of the project on their way
	waiting []*queuedTender
}

// take removes the next group from the queue.
func (queue *tenderQueue) take() []*queuedTender {
	n := min(len(queue.waiting), MaxFreezeBatch)
	group := queue.waiting[:n:n]
	queue.waiting = queue.waiting[n:]
	return group
}

func newTenderQueues() *tenderQueues { return &tenderQueues{queues: map[int64]*tenderQueue{}} }

// join runs q in a group of its project and returns once q is answered: at once when
// fewer than GroupsInFlight groups of the project are on their way (with whoever waits),
// otherwise in the next group, which the group ending first hands to the first waiting
// tender. run answers every tender of its group. A tender whose caller gives up (ctx)
// while it still waits leaves the queue unreserved; once in a group it goes through.
func (qs *tenderQueues) join(ctx context.Context, q *queuedTender, run func(group []*queuedTender)) {
	projectID := q.n.ProjectID
	qs.mu.Lock()
	queue, ok := qs.queues[projectID]
	if !ok {
		queue = &tenderQueue{}
		qs.queues[projectID] = queue
	}
	queue.waiting = append(queue.waiting, q)
	var group []*queuedTender
	if queue.running < GroupsInFlight {
		queue.running++
		group = queue.take()
	}
	qs.mu.Unlock()
	if group == nil {
		select {
		case <-q.done: // another tender's group took q along
			return
		case group = <-q.turn:
		case <-ctx.Done():
			if qs.leave(queue, q) {
				q.answer(nil, fmt.Errorf("%w: the request ended while the tender waited for its project's lock: %w", ErrTenderNotPlaced, ctx.Err()))
				return
			}
			select { // already taken into a group: it answers q
			case <-q.done:
				return
			case group = <-q.turn:
			}
		}
	}
	defer qs.handOver(projectID, queue)
	defer func() {
		// A group that panicked answers its tenders rather than leaving them waiting.
		for _, g := range group {
			select {
			case <-g.done:
			default:
				g.answer(nil, fmt.Errorf("%w: tender group of project %d ended without an answer", ErrTenderPending, projectID))
			}
		}
	}()
	run(group)
}

// leave takes q out of the queue if it is still waiting there.
func (qs *tenderQueues) leave(queue *tenderQueue, q *queuedTender) bool {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	for i, w := range queue.waiting {
		if w == q {
			queue.waiting = append(queue.waiting[:i:i], queue.waiting[i+1:]...)
			return true
		}
	}
	return false
}

// handOver gives the next group to the first waiting tender, or ends one of the
// project's groups on their way.
func (qs *tenderQueues) handOver(projectID int64, queue *tenderQueue) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if len(queue.waiting) == 0 {
		if queue.running--; queue.running == 0 {
			delete(qs.queues, projectID)
		}
		return
	}
	next := queue.take()
	next[0].turn <- next // buffered, and each tender is handed at most one group
}

// tenderAsGroup reserves and freezes the tender in its project's next group and answers
// it as Tender does.
func (uc *TenderUsecase) tenderAsGroup(ctx context.Context, caller Caller, n NewTender, custody Custody, requestNo string) (*Tender, error) {
	q := &queuedTender{caller: caller, n: n, custody: custody, requestNo: requestNo,
		turn: make(chan []*queuedTender, 1), done: make(chan struct{})}
	// The group outlives a leader whose caller hangs up: the others wait for its answers.
	gctx := context.WithoutCancel(ctx)
	uc.queues.join(ctx, q, func(group []*queuedTender) {
		tenderGroups.Add(gctx, int64(len(group)), "size", groupSizeLabel(len(group)))
		uc.runGroup(gctx, group)
	})
	return q.tender, q.err
}

// tenderGroups counts the tenders that went alone or in groups, by group size.
var tenderGroups = telemetry.NewCounter("p2p_tender_groups_tenders",
	"tenders reserved and frozen alone or in a group of their project, by the group's size")

// groupSizeLabel is a group's size in a few buckets, so the label stays small.
func groupSizeLabel(n int) string {
	switch {
	case n == 1:
		return "1"
	case n <= 5:
		return "2-5"
	case n <= 20:
		return "6-20"
	}
	return "21-" + strconv.Itoa(MaxFreezeBatch)
}

// runGroup reserves, freezes and settles a group of one project's tenders and answers
// each (see the top of this file).
func (uc *TenderUsecase) runGroup(ctx context.Context, group []*queuedTender) {
	reserved, projectNo, err := uc.reserveGroup(ctx, group)
	if err != nil {
		for _, q := range group {
			q.answer(nil, err)
		}
		return
	}
	if len(reserved) == 0 {
		return
	}
	uc.faults.Crash(CrashTenderAfterRow)
	if len(reserved) == 1 {
		// Alone (an idle project): the single freeze, as the settler sends it.
		q := reserved[0]
		q.answer(uc.freeze(ctx, q.tender, projectNo))
		return
	}
	outcomes := uc.freezeGroup(ctx, projectNo, reserved)
	verdicts := make([]freezeVerdict, len(reserved))
	var frozen []int64
	refused := map[int64]string{}
	for i, q := range reserved {
		switch verdicts[i] = uc.judge(q.tender, outcomes[i]); verdicts[i] {
		case freezeHeld:
			frozen = append(frozen, q.tender.ID)
		case freezeRefused:
			refused[q.tender.ID] = refusalReason(outcomes[i])
		default:
			q.answer(nil, uc.pendingAnswer(ctx, q.tender, outcomes[i]))
		}
	}
	// Step 3: one transaction for the frozen ones, one for the refused ones.
	var now map[int64]Tender
	var markErr, releaseErr error
	if len(frozen) > 0 {
		uc.faults.Crash(CrashTenderAfterFreeze)
		now, markErr = uc.markFrozen(ctx, frozen)
	}
	if len(refused) > 0 {
		releaseErr = uc.release(ctx, reserved[0].tender.ProjectID, refused)
	}
	for i, q := range reserved {
		switch {
		case verdicts[i] == freezeHeld && markErr != nil:
			q.answer(nil, markErr)
		case verdicts[i] == freezeHeld:
			q.answer(frozenAnswer(q.tender.ID, now))
		case verdicts[i] == freezeRefused && releaseErr != nil:
			q.answer(nil, releaseErr)
		case verdicts[i] == freezeRefused:
			q.answer(nil, refusalAnswer(q.tender, outcomes[i]))
		}
	}
}

// reserveGroup is step 1: the tenders that fit are inserted PENDING and raise the
// project, in one transaction on its row lock; the others are answered. It returns the
// reserved ones (q.tender set) and the project's bank number; an error is every tender's.
func (uc *TenderUsecase) reserveGroup(ctx context.Context, group []*queuedTender) ([]*queuedTender, string, error) {
	var reserved []*queuedTender
	var refusals []error
	var projectNo string
	err := uc.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := uc.projects.LockProject(ctx, group[0].n.ProjectID)
		if err != nil {
			return err
		}
		projectNo = p.BankProjectNo
		before := *p
		reserved, refusals = uc.fitInOrder(p, group)
		if len(reserved) == 0 {
			return nil
		}
		err = uc.insertReserved(ctx, p, reserved)
		if errors.Is(err, ErrDuplicateRequestNo) {
			// An idempotency key raced one of them (nothing was inserted): one by one.
			*p = before
			reserved, err = uc.insertOneByOne(ctx, p, group, refusals)
		}
		if err != nil || p.Raised.Equal(before.Raised) {
			return err
		}
		return uc.projects.UpdateProject(ctx, p)
	})
	if err != nil {
		return nil, "", err
	}
	for i, q := range group {
		if refusals[i] != nil {
			q.answer(nil, refusals[i])
		}
	}
	return reserved, projectNo, nil
}

// fitInOrder raises p by each tender of the group that fits what remains after the ones
// before it, and says why each other one does not fit.
func (uc *TenderUsecase) fitInOrder(p *Project, group []*queuedTender) ([]*queuedTender, []error) {
	var fit []*queuedTender
	refusals := make([]error, len(group))
	for i, q := range group {
		if refusals[i] = uc.checkFits(p, q.n.Amount); refusals[i] == nil {
			p.Reserve(q.n.Amount)
			fit = append(fit, q)
		}
	}
	return fit, refusals
}

func pendingTender(p *Project, q *queuedTender) *Tender {
	return &Tender{ProjectID: p.ID, InvestorID: q.caller.UserID, InvestorUserNo: q.custody.UserNo,
		Amount: q.n.Amount, Status: TenderPending, FreezeRequestNo: q.requestNo}
}

// insertReserved inserts the fitting tenders PENDING in one statement.
func (uc *TenderUsecase) insertReserved(ctx context.Context, p *Project, reserved []*queuedTender) error {
	ts := make([]*Tender, len(reserved))
	for i, q := range reserved {
		ts[i] = pendingTender(p, q)
	}
	stored, err := uc.tenders.CreateTenders(ctx, ts)
	if err != nil {
		return err
	}
	for i, q := range reserved {
		q.tender = &stored[i]
	}
	return nil
}

// insertOneByOne is fitInOrder and insertReserved a tender at a time, for a group one of
// whose request numbers is taken: that tender is refused with ErrDuplicateRequestNo
// (Tender answers the twin's tender) and the others reserve as if it were not there.
func (uc *TenderUsecase) insertOneByOne(ctx context.Context, p *Project, group []*queuedTender, refusals []error) ([]*queuedTender, error) {
	var reserved []*queuedTender
	for i, q := range group {
		if refusals[i] = uc.checkFits(p, q.n.Amount); refusals[i] != nil {
			continue
		}
		t, err := uc.tenders.CreateTender(ctx, pendingTender(p, q))
		if errors.Is(err, ErrDuplicateRequestNo) {
			refusals[i] = err
			continue
		}
		if err != nil {
			return nil, err
		}
		q.tender = t
		p.Reserve(q.n.Amount)
		reserved = append(reserved, q)
	}
	return reserved, nil
}

// freezeGroup is step 2: one outcome per reserved tender, in order. The call is sent
// again like a single freeze while its outcome is unknown (same request numbers).
func (uc *TenderUsecase) freezeGroup(ctx context.Context, projectNo string, reserved []*queuedTender) []error {
	fs := make([]BankFreeze, len(reserved))
	for i, q := range reserved {
		t := q.tender
		fs[i] = BankFreeze{RequestNo: t.FreezeRequestNo, ProjectNo: projectNo, UserNo: t.InvestorUserNo, Amount: t.Amount}
	}
	var outcomes []error
	err := untilKnown(ctx, func() error {
		var err error
		outcomes, err = uc.bank.FreezeBatch(ctx, projectNo, fs)
		return err
	})
	if err != nil {
		// One answer for the whole call: a definitive refusal or an unknown outcome is
		// every freeze's, as it would have been for each alone.
		outcomes = make([]error, len(fs))
		for i := range outcomes {
			outcomes[i] = err
		}
	}
	return outcomes
}
