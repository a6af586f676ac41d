package layout

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Every scrape job of deploy/prometheus/prometheus.yml targets a compose service of
// deploy/docker-compose.yml on a port its container listens on (published or exposed), at
// the path that service serves metrics on; each of the five services and DTM is scraped.
// (No Docker engine runs here: this is how the scrape config is validated.)
func TestPrometheusScrapesWhatComposeRuns(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	read := func(rel string, into any) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, into); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
	}
	var compose struct {
		Services map[string]struct {
			Ports  []string `yaml:"ports"`
			Expose []string `yaml:"expose"`
		} `yaml:"services"`
	}
	read("deploy/docker-compose.yml", &compose)
	var prom struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	read("deploy/prometheus/prometheus.yml", &prom)
	// The five services on their HTTP port (pkg/telemetry.MetricsPath), DTM v1.19 on its
	// HTTP port (dtmsvr/api_http.go), Jaeger on its telemetry port (deploy/jaeger/config.yaml).
	metricsAt := map[string]string{
		"unified-account:8010": "/metrics", "user-center:8020": "/metrics", "trade-center:8030": "/metrics",
		"repayment:8040": "/metrics", "bank-custody:8050": "/metrics",
		"dtm:36789": "/api/metrics", "jaeger:8888": "/metrics",
	}
	containerPorts := func(svc string) []string { // container side of "ip:host:container[/proto]", and expose
		s := compose.Services[svc]
		var out []string
		for _, p := range s.Ports {
			p = strings.TrimSuffix(strings.TrimSuffix(p, "/tcp"), "/udp")
			out = append(out, p[strings.LastIndex(p, ":")+1:])
		}
		return append(out, s.Expose...)
	}
	if len(prom.ScrapeConfigs) == 0 {
		t.Fatal("deploy/prometheus/prometheus.yml has no scrape_configs")
	}
	scraped := map[string]bool{}
	for _, job := range prom.ScrapeConfigs {
		path := job.MetricsPath
		if path == "" {
			path = "/metrics" // Prometheus' default
		}
		if len(job.StaticConfigs) == 0 {
			t.Errorf("job %s: no static_configs (compose has no service discovery)", job.JobName)
		}
		for _, sc := range job.StaticConfigs {
			for _, target := range sc.Targets {
				svc, port, ok := strings.Cut(target, ":")
				if !ok {
					t.Errorf("job %s: target %q is not service:port", job.JobName, target)
					continue
				}
				if _, exists := compose.Services[svc]; !exists {
					t.Errorf("job %s: target %s: no compose service %q", job.JobName, target, svc)
					continue
				}
				if !slices.Contains(containerPorts(svc), port) {
					t.Errorf("job %s: target %s: service %s listens on %v, not %s", job.JobName, target, svc, containerPorts(svc), port)
				}
				switch want, known := metricsAt[target]; {
				case !known:
					t.Errorf("job %s: target %s serves no metrics this test knows of (add it to metricsAt)", job.JobName, target)
				case want != path:
					t.Errorf("job %s: target %s serves metrics at %s, the job scrapes %s", job.JobName, target, want, path)
				}
				scraped[target] = true
			}
		}
	}
	for _, must := range []string{"unified-account:8010", "user-center:8020", "trade-center:8030", "repayment:8040", "bank-custody:8050", "dtm:36789"} {
		if !scraped[must] {
			t.Errorf("no scrape job targets %s", must)
		}
	}
}
