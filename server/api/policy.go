package api

import (
	"github.com/switchboardhq/switchboard/gen/switchboard/auth/v1/authv1connect"
	"github.com/switchboardhq/switchboard/gen/switchboard/system/v1/systemv1connect"
	"github.com/switchboardhq/switchboard/server/platform/interceptor"
)

// Policy is the access every procedure requires. A procedure that is not
// listed is denied; TestPolicyCoversEveryMethod fails the build of any
// service that adds a method without a line here.
var Policy = interceptor.Policy{
	authv1connect.AuthServiceSignInProcedure:  interceptor.Public,
	authv1connect.AuthServiceSignOutProcedure: interceptor.SignedIn,
	authv1connect.AuthServiceWhoAmIProcedure:  interceptor.SignedIn,

	systemv1connect.SystemServiceGetVersionProcedure: interceptor.SignedIn,
}
