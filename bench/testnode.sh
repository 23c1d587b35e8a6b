#!/bin/sh
# Writes a libvirt test-driver node file with N domains: every 3rd shut off,
# every 4th with a VNC display. Shared by the VM benchmarks.
#   bench/testnode.sh N OUT.xml
set -eu
awk -v n="$1" 'BEGIN {
	print "<node>"
	for (i = 0; i < n; i++) {
		rs = (i % 3 == 1) ? "<test:runstate>5</test:runstate>" : ""
		g = (i % 4 == 0) ? sprintf("<graphics type=\"vnc\" port=\"%d\" autoport=\"no\"/>", 5901 + i) : ""
		printf "<domain type=\"test\" xmlns:test=\"http://libvirt.org/schemas/domain/test/1.0\">"
		printf "<name>vm-%04d</name><uuid>00000000-0000-4000-8000-%012d</uuid>", i, i
		printf "<memory unit=\"MiB\">%d</memory><vcpu>%d</vcpu><os><type>hvm</type></os>", 64 * (1 + i % 4), 1 + i % 2
		printf "<devices>%s</devices>%s</domain>\n", g, rs
	}
	print "</node>"
}' >"$2"
