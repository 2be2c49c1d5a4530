module github.com/scan445/scan445

go 1.26.0

require (
	github.com/hirochachacha/go-smb2 v1.1.0
	github.com/mdlayher/packet v1.1.2
	github.com/projectdiscovery/ratelimit v0.0.81
	github.com/urfave/cli/v2 v2.27.7
	golang.org/x/crypto v0.31.0
	golang.org/x/net v0.33.0
	golang.org/x/sync v0.25.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/BurntSushi/toml v1.5.0 // indirect
	github.com/cpuguy83/go-md2man/v2 v2.0.7 // indirect
	github.com/geoffgarside/ber v1.1.0 // indirect
	github.com/josharian/native v1.1.0 // indirect
	github.com/mdlayher/socket v0.4.1 // indirect
	github.com/projectdiscovery/utils v0.4.19 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/xrash/smetrics v0.0.0-20240521201337-686a1a2994c1 // indirect
	golang.org/x/sys v0.28.0 // indirect
	golang.org/x/time v0.5.0 // indirect
)
