package activity

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store in Redis, shared by every replica: a sorted set of entries
// (the member is the entry's JSON, which starts with its time-ordered id; the score
// is the time in Unix milliseconds) and a hash of final task statuses by task id.
//
// Queries read the entries of the time window and filter them here: the log of one
// console is small (thousands of entries a month), and this keeps writes to one
// ZADD with no secondary indexes to keep consistent.
type Redis struct {
	c      redis.UniversalClient
	log    string // sorted set key
	tasks  string // hash key
	now    func() time.Time
	window int64 // ZRANGE batch size
}

// NewRedis returns a Store over c with keys under prefix (e.g. "sd:activity:").
// The caller owns c.
func NewRedis(c redis.UniversalClient, prefix string) *Redis {
	return &Redis{c: c, log: prefix + "log", tasks: prefix + "tasks", now: time.Now, window: 1000}
}

func msScore(t time.Time) float64 { return float64(t.UnixMilli()) }

// Append records e.
func (r *Redis) Append(ctx context.Context, e Entry) error {
	prepare(&e, r.now)
	status := e.TaskStatus
	e.TaskStatus = ""
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	pipe := r.c.TxPipeline()
	pipe.ZAdd(ctx, r.log, redis.Z{Score: msScore(e.At), Member: string(body)})
	if status != "" && e.TaskID != "" {
		pipe.HSet(ctx, r.tasks, e.TaskID, status)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("activity: append: %w", err)
	}
	return nil
}

// Query returns the entries f selects, newest first.
func (r *Redis) Query(ctx context.Context, f Filter) ([]Entry, int, error) {
	offset, limit := f.limits()
	maxScore, minScore := "+inf", "-inf"
	if !f.To.IsZero() {
		maxScore = "(" + strconv.FormatInt(f.To.UnixMilli(), 10)
		if f.To.UnixMilli()*int64(time.Millisecond) != f.To.UnixNano() {
			maxScore = strconv.FormatInt(f.To.UnixMilli(), 10) // Match drops the rest
		}
	}
	if !f.From.IsZero() {
		minScore = strconv.FormatInt(f.From.UnixMilli(), 10)
	}
	var out []Entry
	total := 0
	for start := int64(0); ; start += r.window {
		// ZRANGE … BYSCORE REV: newest first; members with equal scores come in
		// reverse lexical order, which is reverse id order, so ties stay in order.
		members, err := r.c.ZRangeArgs(ctx, redis.ZRangeArgs{Key: r.log, Start: maxScore, Stop: minScore,
			ByScore: true, Rev: true, Offset: start, Count: r.window}).Result()
		if err != nil {
			return nil, 0, fmt.Errorf("activity: query: %w", err)
		}
		for _, m := range members {
			var e Entry
			if err := json.Unmarshal([]byte(m), &e); err != nil {
				return nil, 0, fmt.Errorf("activity: decode entry: %w", err)
			}
			if !f.Match(e) {
				continue
			}
			if total >= offset && len(out) < limit {
				out = append(out, e)
			}
			total++
		}
		if int64(len(members)) < r.window {
			break
		}
	}
	if err := r.fillTaskStatus(ctx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// fillTaskStatus adds the final task statuses to the page's entries.
func (r *Redis) fillTaskStatus(ctx context.Context, es []Entry) error {
	var ids []string
	for _, e := range es {
		if e.TaskID != "" {
			ids = append(ids, e.TaskID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	vals, err := r.c.HMGet(ctx, r.tasks, ids...).Result()
	if err != nil {
		return fmt.Errorf("activity: task statuses: %w", err)
	}
	byID := map[string]string{}
	for i, v := range vals {
		if s, ok := v.(string); ok {
			byID[ids[i]] = s
		}
	}
	for i := range es {
		if s, ok := byID[es[i].TaskID]; ok {
			es[i].TaskStatus = s
		}
	}
	return nil
}

// SetTaskStatus records a task's final status.
func (r *Redis) SetTaskStatus(ctx context.Context, taskID, status string) error {
	return r.c.HSet(ctx, r.tasks, taskID, status).Err()
}

// Prune deletes entries older than before, and the statuses of their tasks.
func (r *Redis) Prune(ctx context.Context, before time.Time) error {
	stop := "(" + strconv.FormatInt(before.UnixMilli(), 10)
	old, err := r.c.ZRangeArgs(ctx, redis.ZRangeArgs{Key: r.log, Start: "-inf", Stop: stop, ByScore: true}).Result()
	if err != nil {
		return err
	}
	var tasks []string
	for _, m := range old {
		var e Entry
		if json.Unmarshal([]byte(m), &e) == nil && e.TaskID != "" {
			tasks = append(tasks, e.TaskID)
		}
	}
	pipe := r.c.TxPipeline()
	pipe.ZRemRangeByScore(ctx, r.log, "-inf", stop)
	if len(tasks) > 0 {
		pipe.HDel(ctx, r.tasks, tasks...)
	}
	_, err = pipe.Exec(ctx)
	return err
}
