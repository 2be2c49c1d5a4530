// Command scan445 finds Windows hosts exposed to MS08-067 and infected by Conficker, safely.
package main

import "os"

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
