// Package custodyapi holds the JSON bodies of docs/custody-protocol.md that both sides of
// the custody protocol read and write: the bank's notification and its answer to a
// result query. The mock bank and the platform marshal the same types, so a field renamed
// on one side is renamed on both. Every field is a string (amounts in decimal text, ids
// as protojson prints int64); no secret is in either body.
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
