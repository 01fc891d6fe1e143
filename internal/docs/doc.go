// Package docs holds the checks that keep the repository's Markdown honest: every relative link and anchor
// resolves, and the exit-code table is the one generated from package exitcode. It has no code of its own.
package docs
