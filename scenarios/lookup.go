package scenarios

// PresetTarget is the service that a preset scenario targets, for tools that know a scenario only by its name
// (a report's windows file). False for names that are not presets and for presets without one target (game
// days, flags).
func PresetTarget(name string) (string, bool) {
	target, ok := presets[name]["target"].(string)
	return target, ok && target != ""
}
