package csvcheck

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidDate(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"2024-02-29", true},
		{"2023-02-29", false},
		{"2024-04-31", false},
		{"2024-12-31", true},
		{"2024-00-10", false},
		{"2024-13-10", false},
		{"2024-01-00", false},
		{"0000-01-01", true},
		{"2024-1-01", false},
		{"2024-01-0a", false},
		{"2024-05-31T13:45", true},
		{"2024-05-31T13:45:00", true},
		{"2024-05-31T13:45:00Z", true},
		{"2024-05-31T13:45:00.123456Z", true},
		{"2024-05-31 13:45:00+02:00", true},
		{"2024-05-31T13:45:00+0200", true},
		{"2024-05-31T13:45+02:00", true},
		{"2024-05-31T24:00:00", false},
		{"2024-05-31T13:45:00 CET", false},
		{"2024-05-31x", false},
		{"1717171717000", true},
		{"171717171700", true},
		{"1717171717", false},
		{"-1717171717000", false},
		{"31.05.2024", false},
		{"05/31/2024", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, validDate([]byte(tt.in)))
		})
	}
}

func TestFitsInt(t *testing.T) {
	tests := []struct {
		in   string
		bits uint
		want bool
	}{
		{"0", 32, true},
		{"007", 32, true},
		{"2147483647", 32, true},
		{"2147483648", 32, false},
		{"-2147483648", 32, true},
		{"-2147483649", 32, false},
		{"+1", 32, true},
		{"9223372036854775807", 64, true},
		{"9223372036854775808", 64, false},
		{"-9223372036854775808", 64, true},
		{"-9223372036854775809", 64, false},
		{"99999999999999999999999", 64, false},
		{"", 32, false},
		{"-", 32, false},
		{"1e3", 32, false},
		{"1,000", 32, false},
		{"1 ", 32, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, fitsInt([]byte(tt.in), tt.bits))
		})
	}
}
