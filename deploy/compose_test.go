package deploy

import (
	"fmt"
	"strings"
	"testing"
)

type composeFile struct {
	Name     string                    `yaml:"name"`
	Common   map[string]any            `yaml:"x-cisbot"` // merged into each replica
	Services map[string]composeService `yaml:"services"`
	Configs  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"configs"`
	Volumes map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       string            `yaml:"build"`
	Hostname    string            `yaml:"hostname"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Configs     []struct {
		Source string `yaml:"source"`
		Target string `yaml:"target"`
	} `yaml:"configs"`
	Ports       []string       `yaml:"ports"`
	Volumes     []string       `yaml:"volumes"`
	DependsOn   map[string]any `yaml:"depends_on"`
	Healthcheck map[string]any `yaml:"healthcheck"`
	Restart     string         `yaml:"restart"`
}

// TestCompose: compose.yaml runs PostgreSQL 15 and two cisbot replicas with distinct host names,
// each given the config file it names, every variable that file expands and the Slack tokens,
// and no variable cisbot does not read; what it takes from .env is in env.example; the
// published ports are the ones the config listens on.
func TestCompose(t *testing.T) {
	var c composeFile
	unmarshal(t, "compose.yaml", &c)
	if img := c.Services["postgres"].Image; !strings.HasPrefix(img, "postgres:15") {
		t.Errorf("postgres service image %q, want postgres:15", img)
	}
	e := newBotEnv(t)
	hosts := map[string]bool{}
	replicas := 0
	for name, s := range c.Services {
		if name == "postgres" {
			continue
		}
		replicas++
		if hosts[s.Hostname] || s.Hostname == "" {
			t.Errorf("service %s: host name %q is empty or another replica's: claims are named after it", name, s.Hostname)
		}
		hosts[s.Hostname] = true
		if _, ok := s.DependsOn["postgres"]; !ok {
			t.Errorf("service %s does not wait for postgres", name)
		}
		checkComposeReplica(t, name, s, c, e)
	}
	if replicas != 2 {
		t.Errorf("%d cisbot replicas, want 2", replicas)
	}

	env := map[string]bool{}
	for _, line := range strings.Split(string(readFile(t, "env.example")), "\n") {
		if k, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[strings.TrimSpace(k)] = true
		}
	}
	for _, m := range interpolated.FindAllStringSubmatch(string(readFile(t, "compose.yaml")), -1) {
		if !strings.HasPrefix(m[2], ":-") && !env[m[1]] {
			t.Errorf("compose.yaml needs %s from .env, which env.example does not show", m[1])
		}
	}
}

func checkComposeReplica(t *testing.T, name string, s composeService, c composeFile, e botEnv) {
	t.Helper()
	if len(s.Command) < 3 || s.Command[0] != "run" || s.Command[1] != "--config" {
		t.Fatalf("service %s: command %q, want run --config FILE", name, s.Command)
	}
	var file string
	for _, cf := range s.Configs {
		if cf.Target == s.Command[2] {
			file = c.Configs[cf.Source].File
		}
	}
	if file == "" {
		t.Fatalf("service %s: no config mounted at %s", name, s.Command[2])
	}
	set := map[string]bool{}
	for k := range s.Environment {
		set[k] = true
	}
	cfg, used := parseConfig(t, file, readFile(t, file), set)
	checkEnv(t, "service "+name, e, set, used)
	sns, ops := listenPorts(t, cfg)
	for _, want := range []int{sns, ops} {
		found := false
		for _, p := range s.Ports {
			found = found || strings.HasSuffix(p, fmt.Sprintf(":%d", want))
		}
		if !found {
			t.Errorf("service %s publishes %v, not the container port %d the config listens on", name, s.Ports, want)
		}
	}
}
