// Package workflows checks the repository's GitHub Actions workflows offline: actionlint on every file, and
// the shape that the chaos pipeline promises (scheduled and by hand, reports uploaded, teardown always).
package workflows
