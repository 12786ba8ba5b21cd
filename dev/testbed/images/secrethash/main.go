// Command secrethash is the testbed's application image: it reports what a pod sees of a Secret
// without ever showing it. For an environment variable and a file it logs one line with the
// SHA-256 of the content at start and whenever the content changes (a mounted Secret volume is
// updated in place by the kubelet), and serves the same as JSON at /hashes; /healthz answers 200.
//
//	secrethash -env NAME -file PATH -listen :8080
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// observe returns the hash of what the pod sees, or "unset"/"missing" when there is nothing.
func observe(env, file string) map[string]string {
	seen := map[string]string{}
	if env != "" {
		if v, ok := os.LookupEnv(env); ok {
			seen["env:"+env] = digest([]byte(v))
		} else {
			seen["env:"+env] = "unset"
		}
	}
	if file != "" {
		if b, err := os.ReadFile(file); err == nil {
			seen["file:"+file] = digest(b)
		} else {
			seen["file:"+file] = "missing"
		}
	}
	return seen
}

func main() {
	env := flag.String("env", "", "environment variable to hash")
	file := flag.String("file", "", "file to hash")
	listen := flag.String("listen", ":8080", "address of /hashes and /healthz")
	interval := flag.Duration("interval", time.Second, "how often the file is read again")
	flag.Parse()

	var mu sync.Mutex
	current := map[string]string{}
	update := func() {
		seen := observe(*env, *file)
		mu.Lock()
		defer mu.Unlock()
		for k, v := range seen {
			if current[k] != v {
				fmt.Printf("%s sha256=%s\n", k, v)
			}
		}
		current = seen
	}
	update()

	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/hashes", func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("content-type", "application/json")
		_ = json.NewEncoder(w).Encode(current)
	})
	go func() {
		if err := http.ListenAndServe(*listen, nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	tick := time.NewTicker(*interval)
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			update()
		}
	}
}
