package dtmx

import "testing"

func TestXAConfFromDSN(t *testing.T) {
	t.Parallel()
	c, err := XAConf("svc:pw@tcp(127.0.0.1:3307)/user_center?parseTime=true")
	if err != nil {
		t.Fatal(err)
	}
	if c.Driver != "mysql" || c.Host != "127.0.0.1" || c.Port != 3307 || c.User != "svc" ||
		c.Password != "pw" || c.Db != "user_center" {
		t.Fatalf("conf = %+v", c)
	}
}

func TestXAConfRejectsBadDSN(t *testing.T) {
	t.Parallel()
	if _, err := XAConf("svc:pw@unix(/tmp/x.sock)/db"); err == nil {
		t.Fatal("want an error for a socket address without a port")
	}
}
