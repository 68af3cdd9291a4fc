// Fixtures captured from ibsim 0.10 + ibnetdiscover (infiniband-diags 44) on Debian 12.
// Each `*Net` is a net file given to `ibsim -s -n`; each `*Discovered` is what
// `ibnetdiscover` printed against that running ibsim (umad2sim), unedited.

enum Fixtures {
    static let mixedNet = #"""
# test
Switch 8 "sw1"
[1] "h1"[1]
[2] "h2"[2]
[3] "sw2"[1]
[4] "h3"[1]
[5] "h4"[2]
[6] "h5"[1]

Switch 8 "sw2"	# "spine two"
[1] "sw1"[3]
[2] "h2"[1]

Hca 2 "h2"
[1] "sw2"[2]
[2] "sw1"[2]

Ca 1 "h1"
[1] "sw1"[1]

Hca 1 "h3"
[1] "sw1"[4]

Hca 3 "h4"
[2] "sw1"[5]

caguid=0x500000
Hca 1 "h5"
[1] "sw1"[6]
"""#

    static let mixedDiscovered = #"""
#
# Topology file: generated on Sat Nov 21 06:00:47 2026
#
# Initiated from node 0000000000200000 port 0000000000200000

vendid=0x0
devid=0x0
sysimgguid=0x200001
switchguid=0x200001(200001)
Switch	8 "S-0000000000200001"		# "spine two" base port 0 lid 0 lmc 0
[1]	"S-0000000000200000"[3]		# "sw1" lid 0 4xSDR
[2]	"H-0000000000100000"[1](100001) 		# "h2" lid 0 4xSDR

vendid=0x0
devid=0x0
sysimgguid=0x200000
switchguid=0x200000(200000)
Switch	8 "S-0000000000200000"		# "sw1" base port 0 lid 0 lmc 0
[1]	"H-0000000000100003"[1](100004) 		# "h1" lid 0 4xSDR
[2]	"H-0000000000100000"[2](100002) 		# "h2" lid 0 4xSDR
[3]	"S-0000000000200001"[1]		# "spine two" lid 0 4xSDR
[4]	"H-0000000000100005"[1](100006) 		# "h3" lid 0 4xSDR
[5]	"H-0000000000100007"[2](100009) 		# "h4" lid 0 4xSDR
[6]	"H-0000000000500000"[1](500001) 		# "h5" lid 0 4xSDR

vendid=0x0
devid=0x0
sysimgguid=0x500000
caguid=0x500000
Ca	1 "H-0000000000500000"		# "h5"
[1](500001) 	"S-0000000000200000"[6]		# lid 0 lmc 0 "sw1" lid 0 4xSDR

vendid=0x0
devid=0x0
sysimgguid=0x100007
caguid=0x100007
Ca	3 "H-0000000000100007"		# "h4"
[2](100009) 	"S-0000000000200000"[5]		# lid 0 lmc 0 "sw1" lid 0 4xSDR

vendid=0x0
devid=0x0
sysimgguid=0x100005
caguid=0x100005
Ca	1 "H-0000000000100005"		# "h3"
[1](100006) 	"S-0000000000200000"[4]		# lid 0 lmc 0 "sw1" lid 0 4xSDR

vendid=0x0
devid=0x0
sysimgguid=0x100000
caguid=0x100000
Ca	2 "H-0000000000100000"		# "h2"
[1](100001) 	"S-0000000000200001"[2]		# lid 0 lmc 0 "spine two" lid 0 4xSDR
[2](100002) 	"S-0000000000200000"[2]		# lid 0 lmc 0 "sw1" lid 0 4xSDR

vendid=0x0
devid=0x0
sysimgguid=0x100003
caguid=0x100003
Ca	1 "H-0000000000100003"		# "h1"
[1](100004) 	"S-0000000000200000"[1]		# lid 0 lmc 0 "sw1" lid 0 4xSDR
"""#

    static let speedsNet = #"""
Switch 8 "sw1" # "core one" base port 0 lid 7 lmc 1
[1] "h1"[1]	# "h1" lid 1 4xFDR10
[2] "h2"[1]	# "h2" lid 0 4xFDR
[3] "h3"[1]	# "h3" lid 0 12xQDR
[4] "h4"[1]	# x lid 0 1xDDR
[5] "h5"[1]	# x lid 0 4xHDR
[6] "h6"[1]	# x lid 0 12xEDR
[7] "h7"[1]	w=1 s=2
[8] "h8"[1]	# lid 0 8xSDR

Hca 1 "h1"
[1] "sw1"[1]	# lid 1 lmc 2 "sw1" lid 7 4xFDR10
Hca 1 "h2"
[1] "sw1"[2]	# lid 9 lmc 0 "sw1" lid 7 4xFDR
Hca 1 "h3"
[1] "sw1"[3]	# lid 0 lmc 0 "sw1" lid 7 12xQDR
Hca 1 "h4"
[1] "sw1"[4]	# lid 0 lmc 0 "sw1" lid 7 1xDDR
Hca 1 "h5"
[1] "sw1"[5]	# lid 0 lmc 0 "sw1" lid 7 4xHDR
Hca 1 "h6"
[1] "sw1"[6]	# lid 0 lmc 0 "sw1" lid 7 12xQDR
Hca 1 "h7"
[1] "sw1"[7] w=1 s=2
Hca 1 "h8"
[1] "sw1"[8]	# lid 0 lmc 0 "sw1" lid 7 8xSDR
"""#

    static let speedsDiscovered = #"""
#
# Topology file: generated on Sat Nov 21 06:00:47 2026
#
# Initiated from node 0000000000200000 port 0000000000200000

vendid=0x0
devid=0x0
sysimgguid=0x200000
switchguid=0x200000(200000)
Switch	8 "S-0000000000200000"		# "core one" base port 0 lid 7 lmc 1
[1]	"H-0000000000100000"[1](100001) 		# "h1" lid 1 4xQDR
[2]	"H-0000000000100002"[1](100003) 		# "h2" lid 9 4xFDR
[3]	"H-0000000000100004"[1](100005) 		# "h3" lid 0 12xQDR
[4]	"H-0000000000100006"[1](100007) 		# "h4" lid 0 1xDDR
[5]	"H-0000000000100008"[1](100009) 		# "h5" lid 0 4xHDR
[6]	"H-000000000010000a"[1](10000b) 		# "h6" lid 0 12xQDR
[7]	"H-000000000010000c"[1](10000d) 		# "h7" lid 0 1xDDR
[8]	"H-000000000010000e"[1](10000f) 		# "h8" lid 0 8xSDR

vendid=0x0
devid=0x0
sysimgguid=0x10000e
caguid=0x10000e
Ca	1 "H-000000000010000e"		# "h8"
[1](10000f) 	"S-0000000000200000"[8]		# lid 0 lmc 0 "core one" lid 7 8xSDR

vendid=0x0
devid=0x0
sysimgguid=0x10000c
caguid=0x10000c
Ca	1 "H-000000000010000c"		# "h7"
[1](10000d) 	"S-0000000000200000"[7]		# lid 0 lmc 0 "core one" lid 7 1xDDR

vendid=0x0
devid=0x0
sysimgguid=0x10000a
caguid=0x10000a
Ca	1 "H-000000000010000a"		# "h6"
[1](10000b) 	"S-0000000000200000"[6]		# lid 0 lmc 0 "core one" lid 7 12xQDR

vendid=0x0
devid=0x0
sysimgguid=0x100008
caguid=0x100008
Ca	1 "H-0000000000100008"		# "h5"
[1](100009) 	"S-0000000000200000"[5]		# lid 0 lmc 0 "core one" lid 7 4xHDR

vendid=0x0
devid=0x0
sysimgguid=0x100006
caguid=0x100006
Ca	1 "H-0000000000100006"		# "h4"
[1](100007) 	"S-0000000000200000"[4]		# lid 0 lmc 0 "core one" lid 7 1xDDR

vendid=0x0
devid=0x0
sysimgguid=0x100004
caguid=0x100004
Ca	1 "H-0000000000100004"		# "h3"
[1](100005) 	"S-0000000000200000"[3]		# lid 0 lmc 0 "core one" lid 7 12xQDR

vendid=0x0
devid=0x0
sysimgguid=0x100002
caguid=0x100002
Ca	1 "H-0000000000100002"		# "h2"
[1](100003) 	"S-0000000000200000"[2]		# lid 9 lmc 0 "core one" lid 7 4xFDR

vendid=0x0
devid=0x0
sysimgguid=0x100000
caguid=0x100000
Ca	1 "H-0000000000100000"		# "h1"
[1](100001) 	"S-0000000000200000"[1]		# lid 1 lmc 2 "core one" lid 7 4xQDR
"""#

    static let guidLinesNet = #"""
vendid=0x2c9
devid=0xc738
sysimgguid=0xabc
switchguid=0x1000(1000)
Switch 4 "sw1" # core one lid 3
[1] "h1"
[2] "sw2"[2]	# bogus lid 0 4xSDR

Switch 4 "sw2" #
[2] "sw1"[2]
[3] "h2"[1]

Rt 2 "r1"
[1] "h3"[1]

hcaguids=0x300
caguid+0x10
Hca 1 "h1"
[1] "sw1"[1]
Hca 1 "h2"
[1] "sw2"[3]
Hca 1 "h3"
[1] "r1"[1]
"""#

    static let guidLinesDiscovered = #"""
#
# Topology file: generated on Sat Nov 21 06:00:47 2026
#
# Initiated from node 0000000000001000 port 0000000000001000

vendid=0x0
devid=0xc738
sysimgguid=0x1001
switchguid=0x1001(1001)
Switch	4 "S-0000000000001001"		# "sw2" base port 0 lid 0 lmc 0
[2]	"S-0000000000001000"[2]		# "core one" lid 3 4xSDR
[3]	"H-0000000000000312"[1](313) 		# "h2" lid 0 4xSDR

vendid=0x2c9
devid=0xc738
sysimgguid=0xabc
switchguid=0x1000(1000)
Switch	4 "S-0000000000001000"		# "core one" base port 0 lid 3 lmc 0
[1]	"H-0000000000000310"[1](311) 		# "h1" lid 0 4xSDR
[2]	"S-0000000000001001"[2]		# "sw2" lid 0 4xSDR

vendid=0x0
devid=0xc738
sysimgguid=0x312
caguid=0x312
Ca	1 "H-0000000000000312"		# "h2"
[1](313) 	"S-0000000000001001"[3]		# lid 0 lmc 0 "sw2" lid 0 4xSDR

vendid=0x0
devid=0xc738
sysimgguid=0x310
caguid=0x310
Ca	1 "H-0000000000000310"		# "h1"
[1](311) 	"S-0000000000001000"[1]		# lid 0 lmc 0 "core one" lid 3 4xSDR
"""#

}
