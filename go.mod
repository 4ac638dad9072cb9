module github.com/cloudcx/cxzoho

go 1.24.0
