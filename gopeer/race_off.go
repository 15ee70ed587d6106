//go:build !race

package main

// raceBuild tells the reports that this binary runs under Go's race detector.
const raceBuild = false
