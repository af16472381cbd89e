package console

// The strings of 操作员 and of the kiosk succession on 终端, merged into zh and en.
var zhOps = map[string]string{
	"dev_succeeded_by": "已由", "dev_succeeded_tail": "接替",
}

var enOps = map[string]string{
	"dev_succeeded_by": "Succeeded by", "dev_succeeded_tail": "",
}

func init() {
	for k, v := range zhOps {
		zh[k] = v
	}
	for k, v := range enOps {
		en[k] = v
	}
}
