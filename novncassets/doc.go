// Package novncassets will hold the console page and the pinned noVNC
// package, embedded into the binary at build time.
package novncassets
