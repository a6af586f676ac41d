package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
)

// BankAccount holds one bank user's money: balance is what the user can still spend,
// frozen what is held for tenders until the loan is confirmed.
type BankAccount struct{ ent.Schema }

func (BankAccount) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{
		Table: "bank_account",
		// A bank never lets money go below zero, whatever the code above it does.
		Checks: map[string]string{
			"chk_bank_account_balance_nonnegative": "`balance` >= 0",
			"chk_bank_account_frozen_nonnegative":  "`frozen` >= 0",
		},
	}}
}

func (BankAccount) Fields() []ent.Field {
	return []ent.Field{
		stringID("user_no", 32),
		zeroAmount("balance"),
		zeroAmount("frozen"),
		updatedAt(),
	}
}
