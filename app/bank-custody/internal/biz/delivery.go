package biz

import (
	"context"
	"fmt"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
)

// MaxDelayLevel is the highest RocketMQ delay level a broker has (messageDelayLevel
// lists 18 durations).
const MaxDelayLevel = 18

// RetrySchedule says how long the notifier waits before trying an undelivered
// notification again, as RocketMQ delay levels: after failed attempt n the message comes
// back after level Levels[n-1]. The broker's messageDelayLevel turns levels into
// durations (test stack: level n = n seconds; production: a broker configured with
// "1m 5m 10m 30m 1h 2h 5h 10h" at levels 1..8). After len(Levels) retries the broker
// moves the message to the dead-letter queue: the window is closed and reconciliation
// takes over.
type RetrySchedule struct {
	levels []int
}

// NewRetrySchedule validates a schedule: at least one level, each 1..MaxDelayLevel and
// none shorter than the one before (the intervals grow).
func NewRetrySchedule(levels []int32) (RetrySchedule, error) {
	if len(levels) == 0 {
		return RetrySchedule{}, fmt.Errorf("notifier.retry_delay_levels: at least one level is needed")
	}
	s := RetrySchedule{levels: make([]int, len(levels))}
	for i, l := range levels {
		if l < 1 || l > MaxDelayLevel {
			return RetrySchedule{}, fmt.Errorf("notifier.retry_delay_levels[%d] = %d: a delay level is 1..%d", i, l, MaxDelayLevel)
		}
		if i > 0 && int(l) < s.levels[i-1] {
			return RetrySchedule{}, fmt.Errorf("notifier.retry_delay_levels[%d] = %d is shorter than the level before it", i, l)
		}
		s.levels[i] = int(l)
	}
	return s, nil
}

// Retries is how many times an undelivered notification is sent again: the consumer's
// MaxReconsumeTimes. Attempts = Retries + 1.
func (s RetrySchedule) Retries() int { return len(s.levels) }

// DelayLevelAfter is the delay level before the attempt that follows failed attempt
// (1-based). After the last attempt the broker dead-letters the message whatever level
// is asked; the last level is returned then.
func (s RetrySchedule) DelayLevelAfter(attempt int) int {
	switch {
	case len(s.levels) == 0:
		return 0
	case attempt < 1:
		return s.levels[0]
	case attempt > len(s.levels):
		return s.levels[len(s.levels)-1]
	}
	return s.levels[attempt-1]
}

// DeliveryOutcome tells the consumer what to do with the message.
type DeliveryOutcome struct {
	// Done: acknowledge the message (delivered, or suppressed on purpose).
	Done bool
	// DelayLevel before the next attempt when not Done.
	DelayLevel int
}

// SuppressedError is what the delivery log says about a notification the
// notify.suppress fault point swallowed.
const SuppressedError = "suppressed by fault point " + FaultNotifySuppress

// DeliveryUsecase is the notifier: it delivers one notification attempt to the platform
// and records it. Only HTTP 200 counts as delivered.
type DeliveryUsecase struct {
	attempts  AttemptRecorder
	callback  PlatformCallback
	platforms Platforms
	schedule  RetrySchedule
	faults    *faults.Registry
	now       Clock
	log       *log.Helper
}

// NewDeliveryUsecase returns the notifier. f is nil in production.
func NewDeliveryUsecase(attempts AttemptRecorder, callback PlatformCallback, platforms Platforms, schedule RetrySchedule,
	f *faults.Registry, logger log.Logger) *DeliveryUsecase {
	return &DeliveryUsecase{attempts: attempts, callback: callback, platforms: platforms, schedule: schedule,
		faults: f, now: SystemClock, log: log.NewHelper(log.With(logger, "module", "biz/delivery"))}
}

// Schedule is the retry schedule the consumer must be configured with.
func (uc *DeliveryUsecase) Schedule() RetrySchedule { return uc.schedule }

// Deliver makes attempt number attempt (1 for the first delivery) to tell platformNo
// about n.
func (uc *DeliveryUsecase) Deliver(ctx context.Context, platformNo string, n Notification, attempt int) DeliveryOutcome {
	rec := NotificationAttempt{RequestNo: n.RequestNo, Attempt: attempt, AttemptedAt: uc.now()}
	retry := DeliveryOutcome{DelayLevel: uc.schedule.DelayLevelAfter(attempt)}
	if uc.faults.Hit(FaultNotifySuppress).Fire {
		rec.Error = SuppressedError
		uc.record(ctx, rec)
		return DeliveryOutcome{Done: true}
	}
	platform, ok := uc.platforms.Platform(platformNo)
	if !ok {
		rec.Error = fmt.Sprintf("unknown platform %q", platformNo)
		uc.record(ctx, rec)
		return retry
	}
	status, err := uc.callback.Post(ctx, platform.CallbackURL, n)
	rec.HTTPStatus = status
	switch {
	case err != nil:
		rec.Error = truncate(err.Error(), 255)
	case status != 200:
		rec.Error = fmt.Sprintf("platform answered %d", status)
	}
	uc.record(ctx, rec)
	if rec.Error != "" {
		uc.log.Warnw("msg", "notification not delivered", "requestNo", n.RequestNo, "attempt", attempt,
			"httpStatus", status, "err", rec.Error, "nextDelayLevel", retry.DelayLevel, "lastAttempt", attempt > uc.schedule.Retries())
		return retry
	}
	return DeliveryOutcome{Done: true}
}

// record logs a failure to record instead of failing the delivery: the outcome for the
// platform does not depend on the log.
func (uc *DeliveryUsecase) record(ctx context.Context, a NotificationAttempt) {
	if err := uc.attempts.Record(ctx, a); err != nil {
		uc.log.Errorw("msg", "record notification attempt", "requestNo", a.RequestNo, "attempt", a.Attempt, "err", err)
	}
}
