package biz

// QueuedTenders is how many tenders wait for the project's next group (for the tests of
// package biz_test).
func QueuedTenders(uc *TenderUsecase, projectID int64) int {
	uc.queues.mu.Lock()
	defer uc.queues.mu.Unlock()
	if q, ok := uc.queues.queues[projectID]; ok {
		return len(q.waiting)
	}
	return 0
}
