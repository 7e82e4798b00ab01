"""Versions of the local service stack, pinned so every machine runs what was tested.

Bump one here and `raygram stack up` installs it next to the old one (paths are versioned).
"""
NEO4J = "5.26.30"                       # org.neo4j:neo4j, Community, LTS line; runs on Java 17
ELASTICSEARCH = "8.19.21"               # org.elasticsearch.distribution.integ-test-zip; 8.x runs on Java 17
# MinIO publishes no semver tags, so the Go module proxy serves a pseudo-version of the archived
# repository's last commit.
MINIO_MODULE = "github.com/minio/minio"
MINIO = "v0.0.0-20260212201848-7aac2a2c5b7c"
MIN_JAVA = 17
MIN_GO = (1, 24)                        # MinIO's go.mod asks for 1.24
