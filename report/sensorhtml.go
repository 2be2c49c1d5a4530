package report

import (
	"fmt"
	"strings"
	"time"
)

// sensorView is the watch report's section: the ISDAS-style chart (TCP/445 attempts per hour
// as bars, distinct sources per hour as a line, like the JPCERT/CC sensor graph behind alert
// AT-2009-0002) and the sources' numbers.
type sensorView struct {
	S       *SensorStats
	Chart   sensorChart
	Sources []SensorSource
}

type sensorChart struct {
	Width, Height int
	PlotX, PlotY  int // top-left of the plot area
	PlotW, PlotH  int
	Bars          []sensorBar
	Line          string // polyline points of distinct sources per hour
	Dots          []sensorDot
	YTicks        []sensorTick // attempts, left axis
	Y2Ticks       []sensorTick // sources, right axis
	XTicks        []sensorTick // hours
	Empty         bool
}

type sensorBar struct {
	X, Y, W, H int
	Title      string
}

type sensorDot struct {
	X, Y  int
	Title string
}

type sensorTick struct {
	X, Y  int
	Label string
}

// maxChartHours bounds the chart to one week of hourly bars.
const maxChartHours = 168

func buildSensorView(doc *Document) *sensorView {
	if doc.Sensor == nil {
		return nil
	}
	return &sensorView{S: doc.Sensor, Chart: buildSensorChart(doc.Sensor.Hours), Sources: doc.Sensor.SourceDetail}
}

// buildSensorChart lays the hours out on a continuous axis (hours without attempts are zero),
// the last maxChartHours of them.
func buildSensorChart(hours []SensorHour) sensorChart {
	c := sensorChart{Width: 760, Height: 280, PlotX: 64, PlotY: 16}
	c.PlotW, c.PlotH = c.Width-2*c.PlotX, c.Height-c.PlotY-56
	if len(hours) == 0 {
		c.Empty = true
		return c
	}
	byHour := map[int64]SensorHour{}
	first, last := hours[0].Start.Unix()/3600, hours[0].Start.Unix()/3600
	for _, h := range hours {
		k := h.Start.Unix() / 3600
		byHour[k] = h
		first, last = min(first, k), max(last, k)
	}
	first = max(first, last-maxChartHours+1)
	n := int(last - first + 1)
	var maxA int64 = 1
	maxS := 1
	for k := first; k <= last; k++ {
		maxA = max(maxA, byHour[k].Attempts)
		maxS = max(maxS, byHour[k].Sources)
	}
	maxA, stepA := axisTop(maxA)
	topS, stepS := axisTop(int64(maxS))
	maxS = int(topS)
	slot := float64(c.PlotW) / float64(n)
	bottom := c.PlotY + c.PlotH
	var pts []string
	for i := 0; i < n; i++ {
		k := first + int64(i)
		h := byHour[k]
		start := time.Unix(k*3600, 0).UTC()
		x := c.PlotX + int(float64(i)*slot)
		w := max(1, int(slot*0.8))
		bh := int(float64(h.Attempts) / float64(maxA) * float64(c.PlotH))
		if h.Attempts > 0 {
			bh = max(bh, 1) // a quiet hour with attempts still shows
		}
		label := start.Format("2006-01-02 15:00 UTC")
		c.Bars = append(c.Bars, sensorBar{X: x, Y: bottom - bh, W: w, H: bh,
			Title: fmt.Sprintf("%s: %d attempts, %d sources", label, h.Attempts, h.Sources)})
		cx := x + w/2
		cy := bottom - int(float64(h.Sources)/float64(maxS)*float64(c.PlotH))
		pts = append(pts, fmt.Sprintf("%d,%d", cx, cy))
		c.Dots = append(c.Dots, sensorDot{X: cx, Y: cy, Title: fmt.Sprintf("%s: %d distinct sources", label, h.Sources)})
		// An hour label every few bars, at most 6 labels, so they never overlap.
		if every := max(1, (n+5)/6); i%every == 0 {
			c.XTicks = append(c.XTicks, sensorTick{X: cx, Y: bottom + 16, Label: start.Format("01-02 15h")})
		}
	}
	c.Line = strings.Join(pts, " ")
	for i := 0; i <= 4; i++ {
		y := bottom - i*c.PlotH/4
		c.YTicks = append(c.YTicks, sensorTick{X: c.PlotX - 6, Y: y, Label: fmt.Sprint(stepA * int64(i))})
		c.Y2Ticks = append(c.Y2Ticks, sensorTick{X: c.PlotX + c.PlotW + 6, Y: y, Label: fmt.Sprint(stepS * int64(i))})
	}
	return c
}

// axisTop is the top of an axis with 4 intervals holding n: each interval a round number
// (niceCeil), so every tick label is a whole number.
func axisTop(n int64) (top, step int64) {
	step = niceCeil(max(1, (n+3)/4))
	return 4 * step, step
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, so the axis ticks are round.
func niceCeil(n int64) int64 {
	p := int64(1)
	for {
		for _, m := range []int64{1, 2, 5} {
			if n <= m*p {
				return m * p
			}
		}
		p *= 10
	}
}

// sensorCards are a watch report's summary cards: the traffic, then the sources by verdict.
func sensorCards(s *SensorStats, infected, suspect int) []card {
	sources := card{Label: "Sources", Value: s.Sources, Class: "c-neutral"}
	if !s.SourcesExact {
		sources.Note = "estimated"
	}
	return []card{
		{Label: "Attempts", Value: int(min(s.Attempts, int64(^uint(0)>>1))), Class: "c-neutral", Note: "TCP/445 and 139"},
		sources,
		{Label: "Connections served", Value: int(min(s.Connections, int64(^uint(0)>>1))), Class: "c-neutral"},
		{Label: "Infected", Value: infected, Class: "c-infected", Note: "sources"},
		{Label: "Suspect", Value: suspect, Class: "c-unknown", Note: "sources (verdict unknown)"},
	}
}
