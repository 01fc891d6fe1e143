package main

import (
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment"
	"github.com/chaos-mesh-otel/chaos-mesh-otel/experiment/labstack"
)

// `chaoslab run`: one chaos experiment on a live lab, from switch-on to verdict; see package experiment.
func init() {
	register("run", experiment.Summary, labstack.Command)
}
