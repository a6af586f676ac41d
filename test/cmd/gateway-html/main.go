// Command gateway-html turns user-center's answer to POST /v1/custody/accounts or
// POST /v1/recharges (read from stdin) into an HTML page whose form posts the signed
// fields to the bank, for opening the bank's page by hand in a browser:
//
//	curl … /v1/custody/accounts … | go run ./test/cmd/gateway-html > /tmp/gateway.html
package main

import (
	"encoding/json"
	"fmt"
	"html/template"
	"os"
)

var page = template.Must(template.New("p").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>To the bank…</title></head>
<body onload="document.forms[0].submit()">
<p>Request {{.RequestNo}}: taking you to the custody bank…</p>
<form method="{{.Gateway.Method}}" action="{{.Gateway.URL}}">
{{range $k, $v := .Gateway.Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<button type="submit">Continue to the bank</button>
</form></body></html>
`))

type reply struct {
	RequestNo string `json:"requestNo"`
	Gateway   struct {
		URL    string            `json:"url"`
		Method string            `json:"method"`
		Fields map[string]string `json:"fields"`
	} `json:"gateway"`
}

func main() {
	var r reply
	if err := json.NewDecoder(os.Stdin).Decode(&r); err != nil || r.Gateway.URL == "" {
		fmt.Fprintln(os.Stderr, "gateway-html: stdin is not a {requestNo, gateway} answer:", err)
		os.Exit(1)
	}
	if err := page.Execute(os.Stdout, r); err != nil {
		fmt.Fprintln(os.Stderr, "gateway-html:", err)
		os.Exit(1)
	}
}
