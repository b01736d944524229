// Package pgtest runs a throwaway PostgreSQL cluster for tests: one per test binary, started on
// first use, with a database of its own for each test. A package using it stops the cluster in
// its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// The cluster listens on a Unix socket in its directory and on a free loopback port, keeps
// nothing durable (fsync off) and is removed when the tests end. PostgreSQL refuses to run as
// root, so as root its programs run as the postgres user. Without PostgreSQL the tests fail,
// saying how to install it: a skipped test would hide that half of the suite never ran.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// installHint says how to get PostgreSQL's server programs.
const installHint = "install PostgreSQL (apt-get install postgresql, or run make test, which installs it) " +
	"or put the directory holding initdb and pg_ctl on PATH"

// Cluster is a running PostgreSQL cluster in a temporary directory.
type Cluster struct {
	dir   string   // holds the data directory, the socket and the log
	bin   string   // the directory of initdb and pg_ctl
	as    []string // the command prefix that runs a program as the cluster's owner, if any
	port  int
	admin *pgxpool.Pool
	seq   atomic.Int64
	// crashSafe keeps synchronous_commit on, so that a commit survives Pause.
	crashSafe bool
}

// Option changes how Start runs a cluster.
type Option func(*Cluster)

// CrashSafe makes every commit the server acknowledged survive Pause, as on a production
// server: by default the cluster runs with synchronous_commit off, for speed, and a crash
// (Pause) may then lose the last commits acknowledged, which a test of an outage would take for
// the bot's loss. fsync stays off: Pause kills the server, not the machine.
func CrashSafe() Option { return func(c *Cluster) { c.crashSafe = true } }

var (
	once    sync.Once
	shared  *Cluster
	started error
)

// Main runs the tests, then stops the shared cluster if a test started it, and returns the
// exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// NewDatabase creates an empty database in the shared cluster (starting it on first use), drops
// it when the test ends, and returns its URL. It fails the test when PostgreSQL is missing or
// will not start.
func NewDatabase(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, started = Start(context.Background()) })
	if started != nil {
		t.Fatalf("PostgreSQL test cluster: %v", started)
	}
	dsn, err := shared.CreateDatabase(context.Background(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := shared.DropDatabase(context.Background(), dsn); err != nil {
			t.Error(err)
		}
	})
	return dsn
}

// OwnCluster starts a cluster for this test alone (one that the test may pause, or that must
// be crash-safe), stopped when the test ends, and creates a database in it; it returns the
// cluster and the database's URL, and fails the test when PostgreSQL is missing or will not
// start.
func OwnCluster(t testing.TB, opts ...Option) (*Cluster, string) {
	t.Helper()
	ctx := context.Background()
	c, err := Start(ctx, opts...)
	if err != nil {
		t.Fatalf("PostgreSQL test cluster: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	dsn, err := c.CreateDatabase(ctx, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return c, dsn
}

// Start initializes a cluster in a new temporary directory and starts it.
func Start(ctx context.Context, opts ...Option) (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	for _, o := range opts {
		o(c)
	}
	if err := c.start(ctx); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	if os.Geteuid() == 0 {
		if err := c.runAsPostgres(); err != nil {
			return err
		}
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.run(ctx, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions"); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	var err error
	for range 3 { // another process may take the free port before the server does
		if c.port, err = freePort(); err != nil {
			return err
		}
		if err = c.launch(ctx); err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	c.admin, err = pgxpool.New(ctx, c.url("postgres"))
	if err != nil {
		return fmt.Errorf("connect to the test cluster: %w", err)
	}
	return nil
}

// launch starts the server of the initialized cluster on c.port.
func (c *Cluster) launch(ctx context.Context) error {
	syncCommit := "off"
	if c.crashSafe {
		syncCommit = "on"
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=%s "+
		"-c full_page_writes=off -c max_connections=300", c.port, c.dir, syncCommit)
	out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "-o", opts, "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return nil
}

// Pause stops the server at once, as a crash or a lost network would, keeping its data: the
// clients' connections break and new ones are refused until Resume.
func (c *Cluster) Pause(ctx context.Context) error {
	if out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Resume starts the paused server again, on the same port.
func (c *Cluster) Resume(ctx context.Context) error { return c.launch(ctx) }

// runAsPostgres makes the cluster's programs run as the postgres user, the owner of its
// directory: PostgreSQL will not run as root.
func (c *Cluster) runAsPostgres() error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root, and PostgreSQL will not: no postgres user to run it as (%w): "+
			"create one (useradd --system postgres; apt-get install postgresql does) or run the tests as another user", err)
	}
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		return fmt.Errorf("running as root, and PostgreSQL will not: runuser (util-linux) is needed to run it as postgres: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(c.dir, uid, gid); err != nil {
		return fmt.Errorf("give the test cluster's directory to postgres: %w", err)
	}
	c.as = []string{runuser, "-u", "postgres", "--"}
	return nil
}

// run runs one of the cluster's programs, as its owner.
func (c *Cluster) run(ctx context.Context, prog string, args ...string) ([]byte, error) {
	argv := append(slices.Clone(c.as), append([]string{filepath.Join(c.bin, prog)}, args...)...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// url is the URL of a database of the cluster over loopback TCP.
func (c *Cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// SocketDir is the directory of the cluster's Unix socket (a DSN's host=).
func (c *Cluster) SocketDir() string { return c.dir }

// Port is the cluster's loopback TCP port.
func (c *Cluster) Port() int { return c.port }

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// CreateDatabase creates an empty database with a unique name derived from hint and returns its
// URL.
func (c *Cluster) CreateDatabase(ctx context.Context, hint string) (string, error) {
	name := unsafeName.ReplaceAllString(strings.ToLower(hint), "_")
	name = fmt.Sprintf("t%d_%s", c.seq.Add(1), name)
	if len(name) > 63 {
		name = name[:63]
	}
	if _, err := c.admin.Exec(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return "", fmt.Errorf("create test database %s: %w", name, err)
	}
	return c.url(name), nil
}

// DropDatabase drops the database of a URL CreateDatabase returned, closing its connections.
func (c *Cluster) DropDatabase(ctx context.Context, dsn string) error {
	i := strings.LastIndexByte(dsn, '/')
	name, _, _ := strings.Cut(dsn[i+1:], "?")
	if _, err := c.admin.Exec(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
		return fmt.Errorf("drop test database %s: %w", name, err)
	}
	return nil
}

// Stop stops the cluster at once and removes its directory.
func (c *Cluster) Stop() error {
	if c.admin != nil {
		c.admin.Close()
	}
	var errs []error
	if _, err := os.Stat(filepath.Join(c.dir, "data", "postmaster.pid")); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
			errs = append(errs, fmt.Errorf("pg_ctl stop: %w\n%s", err, out))
		}
	}
	errs = append(errs, os.RemoveAll(c.dir))
	return errors.Join(errs...)
}

// findBin is the directory of initdb and pg_ctl: on PATH, else Debian's
// /usr/lib/postgresql/VERSION/bin (the newest), which the postgresql package does not put on
// PATH.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(found, func(a, b string) int { return version(b) - version(a) })
	if len(found) > 0 {
		return filepath.Dir(found[0]), nil
	}
	return "", errors.New("PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin): " + installHint)
}

// version is the major version in a /usr/lib/postgresql/VERSION/bin path.
func version(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
