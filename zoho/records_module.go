package zoho

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"

	"github.com/cloudcx/cxzoho/zoho/crm"
)

// ModuleService reads and writes the records of one standard module as typed values: the
// [Client]'s Leads ([crm.Lead]), Contacts ([crm.Contact]), Accounts ([crm.Account]), Cases
// ([crm.Case]) and Tasks ([crm.Task]). Its methods are those of [RecordsService] without the
// module argument, and behave the same (batch splitting, per-record results, paging); custom
// modules are read and written through [RecordsService] as [crm.Record] values.
//
//	res, _, err := client.Contacts.InsertOne(ctx, &crm.Contact{LastName: crm.Some("Boyle")}, nil)
type ModuleService[T any] struct {
	records *RecordsService
	module  string
}

func newModuleService[T any](s *RecordsService, module string) *ModuleService[T] {
	return &ModuleService[T]{records: s, module: module}
}

// Module returns the module's API name ("Leads").
func (m *ModuleService[T]) Module() string {
	if m == nil {
		return ""
	}
	return m.module
}

// svc returns the records service and module of m; a nil or zero ModuleService (one the Client
// did not make) has none, and every call refuses it.
func (m *ModuleService[T]) svc() (*RecordsService, string) {
	if m == nil {
		return nil, ""
	}
	return m.records, m.module
}

// Insert creates records; see [RecordsService.Insert].
func (m *ModuleService[T]) Insert(ctx context.Context, records []*T, opts *WriteOptions) (RecordResults, *Response, error) {
	s, module := m.svc()
	return writeRecords(ctx, s, module, "insert", records, opts, nil)
}

// Update changes records, each carrying its ID; see [RecordsService.Update].
func (m *ModuleService[T]) Update(ctx context.Context, records []*T, opts *WriteOptions) (RecordResults, *Response, error) {
	s, module := m.svc()
	return writeRecords(ctx, s, module, "update", records, opts, nil)
}

// Upsert inserts or updates records by their duplicate-check fields; see [RecordsService.Upsert].
func (m *ModuleService[T]) Upsert(ctx context.Context, records []*T, opts *UpsertOptions) (RecordResults, *Response, error) {
	s, module := m.svc()
	return upsertRecords(ctx, s, module, records, opts)
}

// InsertOne creates one record; see [RecordsService.InsertOne].
func (m *ModuleService[T]) InsertOne(ctx context.Context, record *T, opts *WriteOptions) (RecordResult, *Response, error) {
	s, module := m.svc()
	return oneResult(writeRecords(ctx, s, module, "insert", []*T{record}, opts, nil))
}

// UpdateOne changes one record, which carries its ID; see [RecordsService.UpdateOne].
func (m *ModuleService[T]) UpdateOne(ctx context.Context, record *T, opts *WriteOptions) (RecordResult, *Response, error) {
	s, module := m.svc()
	return oneResult(writeRecords(ctx, s, module, "update", []*T{record}, opts, nil))
}

// UpsertOne inserts or updates one record; see [RecordsService.UpsertOne].
func (m *ModuleService[T]) UpsertOne(ctx context.Context, record *T, opts *UpsertOptions) (RecordResult, *Response, error) {
	s, module := m.svc()
	return oneResult(upsertRecords(ctx, s, module, []*T{record}, opts))
}

// Get reads one record by id; see [RecordsService.Get].
func (m *ModuleService[T]) Get(ctx context.Context, id string) (*T, *Response, error) {
	s, module := m.svc()
	return getRecord[T](ctx, s, module, id)
}

// Delete deletes records by id; see [RecordsService.Delete].
func (m *ModuleService[T]) Delete(ctx context.Context, ids []string, opts *DeleteOptions) (RecordResults, *Response, error) {
	s, module := m.svc()
	if s == nil {
		return nil, nil, errNilRecords
	}
	return s.deleteIDs(ctx, module, ids, opts)
}

// List reads one page of records; see [RecordsService.List].
func (m *ModuleService[T]) List(ctx context.Context, opts *ListOptions) ([]*T, *Response, error) {
	s, module := m.svc()
	return listPage[T](ctx, s, module, opts)
}

// ListIter iterates over all records, page after page; see [RecordsService.ListIter].
func (m *ModuleService[T]) ListIter(ctx context.Context, opts *ListOptions) iter.Seq2[*T, error] {
	s, module := m.svc()
	return listIter[T](ctx, s, module, opts)
}

// errNilRecords is the error of a call on a service the Client did not make.
var errNilRecords = errors.New("zoho: nil records service (use the services of a Client made by NewClient)")

// writeRecords is the one entry of batch writes for every record type: it encodes records and
// hands them to [RecordsService.write]. An update of a [crm.Record] read from Zoho sends only its
// id and the fields changed since ([crm.Record.Changes]).
func writeRecords[T any](ctx context.Context, s *RecordsService, module, name string, records []*T, opts *WriteOptions, dup []string) (RecordResults, *Response, error) {
	if s == nil {
		return nil, nil, errNilRecords
	}
	op, err := s.writeOpFor(name, opts)
	if err != nil {
		return nil, nil, err
	}
	op.dupFields = dup
	if op.needID {
		if recs, ok := any(records).([]*crm.Record); ok {
			changes := make([]*crm.Record, len(recs))
			for i, r := range recs {
				if r != nil {
					changes[i] = r.Changes()
				}
			}
			raws, errs := encodeAll(changes)
			return s.write(ctx, module, op, raws, errs)
		}
	}
	raws, errs := encodeAll(records)
	return s.write(ctx, module, op, raws, errs)
}

// oneResult turns the results of a one-record write into that record's result and an error: the
// call's error, or else the record's own (Zoho refused it), so that a refused record never comes
// back with a nil error.
func oneResult(res RecordResults, resp *Response, err error) (RecordResult, *Response, error) {
	if len(res) == 0 {
		if err == nil {
			err = errors.New("zoho: the write returned no result")
		}
		return RecordResult{Err: err}, resp, err
	}
	r := res[0]
	if err == nil {
		err = r.Err
	}
	return r, resp, err
}

// upsertRecords checks the upsert's options and writes records.
func upsertRecords[T any](ctx context.Context, s *RecordsService, module string, records []*T, opts *UpsertOptions) (RecordResults, *Response, error) {
	var wo *WriteOptions
	var dup []string
	if opts != nil {
		wo, dup = &opts.WriteOptions, opts.DuplicateCheckFields
		for _, f := range dup {
			if err := validateFieldName(f); err != nil {
				return nil, nil, fmt.Errorf("zoho: UpsertOptions.DuplicateCheckFields: %w", err)
			}
		}
	}
	return writeRecords(ctx, s, module, "upsert", records, wo, dup)
}

// getRecord reads one record of module by id as a T.
func getRecord[T any](ctx context.Context, s *RecordsService, module, id string) (*T, *Response, error) {
	if s == nil {
		return nil, nil, errNilRecords
	}
	if err := checkModuleCall(ctx, module); err != nil {
		return nil, nil, err
	}
	if err := validateRecordID(id); err != nil {
		return nil, nil, err
	}
	path, err := PathJoin(module, id)
	if err != nil {
		return nil, nil, err
	}
	req, err := s.client.NewRequest(http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	var ans pageAnswer[T]
	resp, err := s.client.Do(ctx, req, &ans)
	if err != nil {
		return nil, resp, err
	}
	if len(ans.Data) == 0 {
		return nil, resp, fmt.Errorf("zoho: %s record %s: %w", module, id, ErrNotFound)
	}
	if ans.Data[0] == nil {
		return nil, resp, fmt.Errorf("zoho: decoding %s record %s: null in Zoho's data", module, id)
	}
	return ans.Data[0], resp, nil
}

// validateFieldName checks a field API name used in a parameter list.
func validateFieldName(f string) error {
	if f == "" {
		return errors.New("empty field name")
	}
	for _, r := range f {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("%q is not a field API name", f)
		}
	}
	return nil
}
