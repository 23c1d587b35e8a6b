module github.com/horcrux-desktop/horcrux

go 1.26.0

require (
	fyne.io/fyne/v2 v2.7.1 // indirect
	github.com/docker/docker v28.5.2+incompatible // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/pkg/browser v0.0.0-20240102092130-5ac0b6a4141c // indirect
	github.com/shirou/gopsutil/v4 v4.26.10 // indirect
	golang.org/x/sys v0.48.0 // indirect
	libvirt.org/go/libvirt v1.12007.0 // indirect
	libvirt.org/go/libvirtxml v1.12008.0 // indirect
)
