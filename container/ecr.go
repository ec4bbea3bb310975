package container

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// ECRAuth returns registry credentials for the repository's registry from
// ECR's GetAuthorizationToken (a base64 "AWS:password" valid 12 hours),
// with the AWS credentials of the environment. region "" takes it from the
// registry's host name (ACCOUNT.dkr.ecr.REGION.amazonaws.com).
func ECRAuth(ctx context.Context, repo, region string) (authn.Authenticator, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return nil, err
	}
	if region == "" {
		if region = ECRRegion(r.RegistryStr()); region == "" {
			return nil, fmt.Errorf("container: %s is not an ECR registry host; give the region", r.RegistryStr())
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("container: AWS configuration: %w", err)
	}
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("container: ECR GetAuthorizationToken: %w", err)
	}
	if len(out.AuthorizationData) == 0 {
		return nil, errors.New("container: ECR gave no authorization data")
	}
	return decodeECRToken(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
}

func decodeECRToken(token string) (authn.Authenticator, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return nil, fmt.Errorf("container: ECR token is not base64: %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		return nil, errors.New("container: ECR token is not user:password")
	}
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: pass}), nil
}

// ECRRegion returns the region of an ECR registry host name, or "".
func ECRRegion(host string) string {
	host, _, _ = strings.Cut(host, ":")
	parts := strings.Split(host, ".")
	// ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn], or the FIPS form
	// ACCOUNT.dkr.ecr-fips.REGION.amazonaws.com.
	if len(parts) >= 6 && parts[1] == "dkr" && (parts[2] == "ecr" || parts[2] == "ecr-fips") && parts[4] == "amazonaws" {
		return parts[3]
	}
	return ""
}
