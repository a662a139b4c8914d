// Pins the Cluster API release whose Cluster CRD the local stack installs.
module capd-temporal/tools/capi

go 1.26.0

require sigs.k8s.io/cluster-api v1.14.2
