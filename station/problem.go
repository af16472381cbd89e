package station

import "errors"

// Problem is an error staff can act on, told in both languages. What staff read is never an
// error string: the UI shows ZH or EN.
type Problem struct {
	Code string // machine-readable, e.g. "bad_password"
	ZH   string
	EN   string
	Err  error // the cause, for logs; may be nil
}

func (p *Problem) Error() string {
	if p.Err != nil {
		return "station: " + p.Code + ": " + p.Err.Error()
	}
	return "station: " + p.Code
}

func (p *Problem) Unwrap() error { return p.Err }

func problem(code, zh, en string, err error) *Problem {
	return &Problem{Code: code, ZH: zh, EN: en, Err: err}
}

// AsProblem returns the Problem in err's chain, if any.
func AsProblem(err error) (*Problem, bool) {
	var p *Problem
	ok := errors.As(err, &p)
	return p, ok
}
