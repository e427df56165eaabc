//go:build !linux

package shed

// cgroupLimit reports no quota: cgroups are Linux's.
func cgroupLimit() (float64, bool) { return 0, false }
