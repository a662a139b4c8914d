// Renders custom HAProxy config templates with Go's text/template, the engine upstream CAPD renders them with,
// so a template written for CAPD renders here byte for byte. Standard library only.
module capd-temporal/haproxy-template

go 1.24
