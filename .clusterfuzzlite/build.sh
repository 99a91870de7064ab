#!/bin/bash -eu
# ClusterFuzzLite builds exactly what OSS-Fuzz builds: see oss-fuzz/build.sh.
exec bash -eux "$SRC/gcverify/oss-fuzz/build.sh"
