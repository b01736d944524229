package deploy

import (
	"maps"
	"path"
	"testing"
)

type meta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type selector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	PeriodSeconds    int `yaml:"periodSeconds"`
	TimeoutSeconds   int `yaml:"timeoutSeconds"`
	FailureThreshold int `yaml:"failureThreshold"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom struct {
			SecretKeyRef struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe   *probe         `yaml:"livenessProbe"`
	ReadinessProbe  *probe         `yaml:"readinessProbe"`
	Resources       map[string]any `yaml:"resources"`
	SecurityContext map[string]any `yaml:"securityContext"`
	VolumeMounts    []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type deployment struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   meta   `yaml:"metadata"`
	Spec       struct {
		Replicas int            `yaml:"replicas"`
		Selector selector       `yaml:"selector"`
		Strategy map[string]any `yaml:"strategy"`
		Template struct {
			Metadata meta `yaml:"metadata"`
			Spec     struct {
				TerminationGracePeriodSeconds int              `yaml:"terminationGracePeriodSeconds"`
				TopologySpreadConstraints     []map[string]any `yaml:"topologySpreadConstraints"`
				SecurityContext               map[string]any   `yaml:"securityContext"`
				Containers                    []container      `yaml:"containers"`
				Volumes                       []struct {
					Name      string `yaml:"name"`
					ConfigMap struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type object struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   meta              `yaml:"metadata"`
	Type       string            `yaml:"type"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Selector     map[string]any `yaml:"selector"`
		MinAvailable int            `yaml:"minAvailable"`
		Ports        []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

// TestKubernetes: the Deployment runs two replicas of cisbot run with the config file of the
// ConfigMap (which parses as cisbot's config with the Deployment's environment) and the
// Secret's tokens and DSN, sets no variable cisbot does not read, probes /healthz and /readyz
// on the operations port the config listens on; the Service sends to the SNS port the config
// listens on; the PodDisruptionBudget keeps one replica; every selector matches the pods.
func TestKubernetes(t *testing.T) {
	var d deployment
	var cm, secret, svc, pdb object
	unmarshal(t, "kubernetes/deployment.yaml", &d)
	unmarshal(t, "kubernetes/configmap.yaml", &cm)
	unmarshal(t, "kubernetes/secret.yaml", &secret)
	unmarshal(t, "kubernetes/service.yaml", &svc)
	unmarshal(t, "kubernetes/pdb.yaml", &pdb)
	for _, k := range []struct{ got, want string }{{d.Kind, "Deployment"}, {cm.Kind, "ConfigMap"}, {secret.Kind, "Secret"}, {svc.Kind, "Service"}, {pdb.Kind, "PodDisruptionBudget"}} {
		if k.got != k.want {
			t.Errorf("kind %q, want %q", k.got, k.want)
		}
	}
	if d.Spec.Replicas != 2 {
		t.Errorf("replicas %d, want 2", d.Spec.Replicas)
	}
	pods := d.Spec.Template.Metadata.Labels
	for what, sel := range map[string]map[string]string{"deployment": d.Spec.Selector.MatchLabels, "service": toStrings(svc.Spec.Selector),
		"pdb": toStrings(pdb.Spec.Selector["matchLabels"])} {
		if len(sel) == 0 || !matches(sel, pods) {
			t.Errorf("the %s's selector %v does not match the pods' labels %v", what, sel, pods)
		}
	}
	if pdb.Spec.MinAvailable < 1 || pdb.Spec.MinAvailable >= d.Spec.Replicas {
		t.Errorf("pdb minAvailable %d: want at least one replica kept and one drainable", pdb.Spec.MinAvailable)
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(d.Spec.Template.Spec.Containers))
	}
	c := d.Spec.Template.Spec.Containers[0]

	// The config: mounted from the ConfigMap where --config names it.
	if len(c.Args) != 3 || c.Args[0] != "run" || c.Args[1] != "--config" || c.Args[2] != configPath {
		t.Fatalf("args %q, want run --config %s", c.Args, configPath)
	}
	mounted := ""
	for _, m := range c.VolumeMounts {
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.Name == m.Name && v.ConfigMap.Name == cm.Metadata.Name && m.MountPath == path.Dir(configPath) {
				mounted = cm.Data[path.Base(configPath)]
			}
		}
	}
	if mounted == "" {
		t.Fatalf("no ConfigMap %s key %s mounted at %s", cm.Metadata.Name, path.Base(configPath), configPath)
	}

	// The environment: from the Secret's keys, or values.
	set := map[string]bool{}
	for _, ev := range c.Env {
		set[ev.Name] = true
		if ref := ev.ValueFrom.SecretKeyRef; ref.Name != "" {
			if _, ok := secret.StringData[ref.Key]; ref.Name != secret.Metadata.Name || !ok {
				t.Errorf("env %s: secret %s has no key %s", ev.Name, ref.Name, ref.Key)
			}
		}
	}
	cfg, used := parseConfig(t, "kubernetes/configmap.yaml cisbot.yml", []byte(mounted), set)
	checkEnv(t, "the Deployment", newBotEnv(t), set, used)

	sns, ops := listenPorts(t, cfg)
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["sns"] != sns || ports["ops"] != ops {
		t.Errorf("container ports %v, want sns %d and ops %d as the config listens", ports, sns, ops)
	}
	for _, pr := range []struct {
		p    *probe
		path string
	}{{c.LivenessProbe, "/healthz"}, {c.ReadinessProbe, "/readyz"}} {
		if pr.p == nil || pr.p.HTTPGet.Path != pr.path || ports[pr.p.HTTPGet.Port] != ops {
			t.Errorf("probe of %s: %+v, want an httpGet of it on the ops port", pr.path, pr.p)
		}
	}
	if len(svc.Spec.Ports) != 1 || ports[svc.Spec.Ports[0].TargetPort] != sns {
		t.Errorf("service ports %+v, want the sns container port", svc.Spec.Ports)
	}
}

func toStrings(v any) map[string]string {
	out := map[string]string{}
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			if s, ok := x.(string); ok {
				out[k] = s
			}
		}
	}
	return out
}

// matches reports whether labels carry every label of sel.
func matches(sel, labels map[string]string) bool {
	l := maps.Clone(labels)
	for k, v := range sel {
		if l[k] != v {
			return false
		}
	}
	return true
}
