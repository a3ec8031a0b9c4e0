package main

import (
	"crypto/rand"
	"crypto/sha256"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netbox-sandbox/netbox/internal/testenv"
)

// Real programs, each run inside one sandbox: the server and its clients
// are all inside, so every socket goes through netbox.

// httpFetchScript starts python3's http.server on ADDR:8080 serving DIR,
// waits for it (bounded polling with curl), fetches DIR/blob into OUT and
// stops the server. Usage: sh script DIR OUT BINDADDR URLHOST. The port is
// fixed: the sandbox's network is private, so it cannot clash.
const httpFetchScript = `set -u
dir=$1 out=$2 bind=$3 host=$4
python3 -m http.server --bind "$bind" --directory "$dir" 8080 >"$out.server-log" 2>&1 &
srv=$!
i=0
until curl -g -s -o /dev/null "http://$host:8080/"; do
	i=$((i+1))
	if [ $i -ge 100 ]; then
		echo "server never answered on $host:8080"
		cat "$out.server-log"
		kill $srv
		exit 1
	fi
	sleep 0.1
done
curl -g -s -S -o "$out" "http://$host:8080/blob"
rc=$?
echo "curl exit $rc"
kill $srv
wait $srv
exit $rc
`

func TestRealHTTPServerCurl(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	testenv.RequireTool(t, "curl")
	serve := t.TempDir()
	blob := make([]byte, 10<<20)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(serve, "blob"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(blob)
	script := testenv.WriteScript(t, "fetch.sh", httpFetchScript)

	for _, tc := range []struct{ name, bind, host string }{
		{"ipv4", "127.0.0.1", "127.0.0.1"},
		{"ipv6", "::1", "[::1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "fetched")
			r := testenv.InNetbox(t, 90*time.Second, nil, "sh", script, serve, out, tc.bind, tc.host)
			if r.Code != 0 {
				t.Fatalf("fetch script exited %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("fetched file: %v\nstdout:\n%s", err, r.Stdout)
			}
			if len(got) != len(blob) {
				t.Fatalf("fetched %d bytes, want %d", len(got), len(blob))
			}
			if sha256.Sum256(got) != want {
				t.Fatalf("fetched file's sha256 %x differs from the original's %x", sha256.Sum256(got), want)
			}
		})
	}
}

const goStaticServerSrc = `package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const n = 200

func main() {
	time.AfterFunc(60*time.Second, func() {
		fmt.Println("timeout")
		os.Exit(2)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s from %s", r.URL.Query().Get("i"), r.RemoteAddr)
	})}
	go srv.Serve(ln)

	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: n, DisableKeepAlives: false},
	}
	base := "http://" + ln.Addr().String() + "/?i="
	var ok, failed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			resp, err := client.Get(fmt.Sprint(base, i))
			if err != nil {
				if failed.Add(1) <= 5 {
					fmt.Fprintln(os.Stderr, "get:", err)
				}
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			want := fmt.Sprintf("hello %d from 127.0.0.1:", i)
			if err != nil || resp.StatusCode != 200 || len(body) < len(want) || string(body[:len(want)]) != want {
				if failed.Add(1) <= 5 {
					fmt.Fprintf(os.Stderr, "request %d: status %d, body %q, err %v\n", i, resp.StatusCode, body, err)
				}
				return
			}
			ok.Add(1)
		}(i)
	}
	close(start)
	wg.Wait()
	fmt.Printf("ok %d\n", ok.Load())
}
`

func TestRealGoStaticServer(t *testing.T) {
	t.Parallel()
	bin := testenv.GoBuildStatic(t, "goserver", goStaticServerSrc)
	// It must really be static: no ELF interpreter, no libc.
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Fatalf("%s has an ELF interpreter: not a static binary", bin)
		}
	}
	f.Close()
	r := testenv.InNetbox(t, 90*time.Second, nil, bin)
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "ok 200" {
		t.Fatalf("want \"ok 200\" and exit 0, got exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
}

func TestRealEpollClient(t *testing.T) {
	t.Parallel()
	bin := testenv.CompileC(t, "real/epoll_echo.c")
	r := testenv.InNetbox(t, 60*time.Second, nil, bin)
	if r.Code != 0 || r.Stdout != "echo ok\n" {
		t.Fatalf("want \"echo ok\" and exit 0, got exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
}

func TestRealThousandConnections(t *testing.T) {
	t.Parallel()
	bin := testenv.CompileC(t, "real/many_conns.c")
	r := testenv.InNetbox(t, 90*time.Second, nil, bin)
	if r.Code != 0 || r.Stdout != "1000 ok\n" {
		t.Fatalf("want \"1000 ok\" and exit 0, got exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
}

// udpEchoPy runs a UDP echo server thread and a client over 127.0.0.1 and
// ::1; for each it prints "FAMILY echoed N".
const udpEchoPy = `import socket, sys, threading

N = 100

def server(s):
    while True:
        data, addr = s.recvfrom(65536)
        if data == b"quit":
            return
        s.sendto(data, addr)

for fam, host, name in ((socket.AF_INET, "127.0.0.1", "v4"), (socket.AF_INET6, "::1", "v6")):
    srv = socket.socket(fam, socket.SOCK_DGRAM)
    srv.bind((host, 0))
    th = threading.Thread(target=server, args=(srv,))
    th.start()
    addr = srv.getsockname()
    cli = socket.socket(fam, socket.SOCK_DGRAM)
    cli.settimeout(5)
    echoed = 0
    for i in range(N):
        msg = ("%s datagram %d " % (name, i)).encode() + bytes([i]) * (i * 10)
        cli.sendto(msg, addr)
        try:
            data, frm = cli.recvfrom(65536)
        except socket.timeout:
            print("%s: no echo for datagram %d" % (name, i), file=sys.stderr)
            continue
        if data == msg and frm[:2] == addr[:2]:
            echoed += 1
        else:
            print("%s: datagram %d: got %r from %r" % (name, i, data[:40], frm), file=sys.stderr)
    cli.sendto(b"quit", addr)
    th.join(5)
    print("%s echoed %d" % (name, echoed))
`

func TestRealUDPPython(t *testing.T) {
	t.Parallel()
	testenv.RequireTool(t, "python3")
	r := testenv.InNetbox(t, 60*time.Second, nil, "python3", "-c", udpEchoPy)
	want := "v4 echoed 100\nv6 echoed 100\n"
	if r.Code != 0 || r.Stdout != want {
		t.Fatalf("want %q and exit 0, got exit %d\nstdout:\n%s\nstderr:\n%s", want, r.Code, r.Stdout, r.Stderr)
	}
}
