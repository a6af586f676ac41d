// Package custodyapi holds the JSON bodies of docs/custody-protocol.md that both sides of
// the custody protocol read and write: the bank's notification and its answer to a
// result query, the batch of freezes and its answer. The mock bank and the platform marshal
// the same types, so a field renamed on one side is renamed on both. Every field is a
// string (amounts in decimal text, ids as protojson prints int64) but a refusal's HTTP
// code; no secret is in any body.
package custodyapi

// Notification is the body of a TP_BANK_NOTIFY message and of the bank's POST to the
// platform's callback.
type Notification struct {
	RequestNo      string `json:"requestNo"`
	ServiceName    string `json:"serviceName"`
	Status         string `json:"status"`
	UserNo         string `json:"userNo"`
	PlatformUserID string `json:"platformUserId"`
	Amount         string `json:"amount"`
	FailureReason  string `json:"failureReason"`
	FinishedAt     string `json:"finishedAt"`
}

// RequestResult is the bank's answer to GET /v1/requests/{requestNo}.
type RequestResult struct {
	RequestNo      string `json:"requestNo"`
	ServiceName    string `json:"serviceName"`
	Status         string `json:"status"`
	UserNo         string `json:"userNo"`
	Amount         string `json:"amount"`
	PlatformUserID string `json:"platformUserId"`
	FailureReason  string `json:"failureReason"`
}

// FreezeBatch is the body of POST /v1/freezes/batch: freezes of one project's tenders,
// each idempotent by its own request number.
type FreezeBatch struct {
	ProjectNo string        `json:"projectNo"`
	Orders    []FreezeOrder `json:"orders"`
}

// FreezeOrder is one tender's freeze in a FreezeBatch.
type FreezeOrder struct {
	RequestNo string `json:"requestNo"`
	UserNo    string `json:"userNo"`
	Amount    string `json:"amount"`
}

// FreezeRefused is the Status of a FreezeItemResult the bank refused.
const FreezeRefused = "REFUSED"

// FreezeBatchResult is the bank's signed answer to a FreezeBatch: one result per order,
// in the orders' order.
type FreezeBatchResult struct {
	ProjectNo string             `json:"projectNo"`
	Results   []FreezeItemResult `json:"results"`
}

// FreezeItemResult is what became of one order: Status FROZEN (or TRANSFERRED, a repeat
// after the loan), or REFUSED with the HTTP code, reason and message a single freeze of
// the order would have been refused with.
type FreezeItemResult struct {
	RequestNo string `json:"requestNo"`
	UserNo    string `json:"userNo"`
	Amount    string `json:"amount"`
	Status    string `json:"status"`
	Code      int    `json:"code,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Message   string `json:"message,omitempty"`
}
